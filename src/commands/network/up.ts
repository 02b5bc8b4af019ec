import {constants} from 'node:os'

import {Flags} from '@oclif/core'

import {MedrecCommand, type BaseFlags} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {keysLightKdfWarning, profileFlag, throwawayWarning} from '../../cli/shared-flags.js'
import {errorCodes} from '../../errors/error-codes.js'
import {MedrecError} from '../../errors/medrec-error.js'
import {isNetworkInitialised} from '../../network/init-network.js'
import {upNetwork, type UpNetworkResult} from '../../network/up-network.js'

export default class NetworkUp extends MedrecCommand {
  static override flags = {
    timeout: Flags.integer({summary: 'Seconds to wait for the network to be ready.', default: 120, min: 1}),
    sealers: Flags.integer({
      summary: 'Sealers of a network created now (no medrec.yaml yet; default 3).',
      min: 1,
      max: 64,
    }),
    period: Flags.integer({summary: 'Block period of a network created now.', min: 1}),
    'light-kdf': Flags.boolean({summary: 'Weak, fast key encryption for a throwaway network created now.'}),
    profile: profileFlag,
    'build-image': Flags.boolean({
      summary: 'Build the pinned geth image locally if it can be neither found nor pulled.',
      default: true,
      allowNo: true,
    }),
  }

  /** The signal that interrupted this run, if any: it sets the exit code. */
  private interruptedBy: NodeJS.Signals | undefined

  async run(): Promise<UpNetworkResult> {
    const {flags} = await this.parse(NetworkUp)
    // Ctrl-C or SIGTERM aborts `up` at its next step or poll, so that a first start can remove
    // what it created (as a failed one does). A second signal exits at once, cleaning nothing.
    const interrupt = new AbortController()
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupt.signal.aborted) {
        const rest = '`medrec network destroy --force` removes the rest'
        process.stderr.write(`${signal} again: exiting without cleaning up; ${rest}.\n`)
        process.exit(128 + constants.signals[signal])
      }
      this.interruptedBy = signal
      interrupt.abort(
        new MedrecError(errorCodes.INTERRUPTED, `network up was interrupted (${signal}).`, {
          hint:
            'A first start removes what it had created; otherwise the nodes are left as they were. ' +
            'Run `medrec network up` again to start.',
        }),
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      return await this.bringUp(flags, interrupt.signal)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    const result = await super.catch(error)
    if (this.interruptedBy) process.exitCode = 128 + constants.signals[this.interruptedBy]
    return result
  }

  private async bringUp(flags: BaseFlags<typeof NetworkUp>, signal: AbortSignal): Promise<UpNetworkResult> {
    const dir = this.networkDir(flags)
    const creationFlags = (['sealers', 'period', 'light-kdf', 'profile'] as const).filter(
      (f) => flags[f] !== undefined && flags[f] !== false,
    )
    if (creationFlags.length > 0 && (await isNetworkInitialised(dir))) {
      this.warn(
        `${creationFlags.map((f) => `--${f}`).join(', ')} only apply when up creates the network; ${dir} already \
has medrec.yaml, which is used as it is.`,
      )
    } else if (flags.profile === 'throwaway') {
      this.warn(throwawayWarning)
    } else if (flags['light-kdf']) {
      this.warn(keysLightKdfWarning)
    }
    const result = await this.withProgress((progress) =>
      upNetwork({
        dir,
        engine: this.dockerEngine(),
        progress,
        timeoutMs: flags.timeout * 1000,
        buildImage: flags['build-image'],
        init: {
          ...(flags.sealers ? {sealers: flags.sealers} : {}),
          ...(flags.period ? {period: flags.period} : {}),
          lightKdf: flags['light-kdf'],
          ...(flags.profile ? {profile: flags.profile} : {}),
        },
        signal,
      }),
    )
    const verb = {
      created: 'is up',
      updated: 'is up, with changed containers replaced',
      started: 'was restarted',
      unchanged: 'was already running',
    }[result.action]
    this.log(
      `Network "${result.name}" ${verb}: chain ${result.chainId}, block ${result.blockNumber}, \
${result.sealers.length} sealers.`,
    )
    this.log(`JSON-RPC: ${result.rpcUrl}`)
    if (result.chainRecreated)
      this.log('Its chain had been lost when the throwaway network stopped: this is a new chain, from genesis.')
    return result
  }
}

describeCommand(NetworkUp, import.meta.url)
