import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {sqliteFileFlag} from '../../cli/shared-flags.js'
import {gatekeeperStoreSpec} from '../../gatekeeper/gatekeeper-files.js'
import {defaultGatekeeperLimits} from '../../gatekeeper/gatekeeper-server.js'
import {startGatekeeper} from '../../gatekeeper/start-gatekeeper.js'
import {networkPaths} from '../../workspace/network-files.js'

export default class GatekeeperStart extends MedrecCommand {
  static override flags = {
    provider: Flags.string({summary: 'The provider this gatekeeper answers for.', required: true}),
    host: Flags.string({summary: 'Address to listen on.', default: '127.0.0.1'}),
    port: Flags.integer({summary: 'Port to listen on.', default: 8600, min: 0, max: 65_535}),
    store: Flags.string({summary: 'Where the records are.', options: ['sqlite', 'postgres'], default: 'sqlite'}),
    'sqlite-file': sqliteFileFlag,
    'audit-log': Flags.string({summary: 'The audit log file (default .medrec/gatekeeper/PROVIDER/audit.log).'}),
    'audit-key': Flags.string({
      summary: 'The key that MACs the audit log (default .medrec/keys/PROVIDER/audit-mac.key, made with a new log).',
    }),
    'anchor-every': Flags.integer({
      summary: "Seconds between on-chain anchors of the audit log's head (needs the provider's key here); 0: never.",
      default: 300,
      min: 0,
      max: 86_400,
    }),
    'tls-cert': Flags.string({summary: 'PEM certificate: serve HTTPS.', dependsOn: ['tls-key']}),
    'tls-key': Flags.string({summary: 'PEM private key for --tls-cert.', dependsOn: ['tls-cert']}),
    'max-head-age': Flags.integer({
      summary: 'Refuse requests while the newest block is older than this (seconds; default: 5 periods, at least 30).',
      min: 1,
    }),
    'requester-rate': Flags.integer({
      summary: 'Requests per second each requester may make (bursts of twice as many).',
      default: defaultGatekeeperLimits.requesterQuota.perSecond,
      min: 1,
    }),
    'source-rate': Flags.integer({
      summary: 'Requests per second from each source address (an IPv6 /64), bursts of twice as many.',
      default: defaultGatekeeperLimits.sourceQuota.perSecond,
      min: 1,
    }),
  }

  async run(): Promise<{
    url: string
    provider: {name: string; id: string; account: string}
    store: string
    auditLog: string
    anchoring: object
    block: string
    maxHeadAgeSeconds: number
  }> {
    const {flags} = await this.parse(GatekeeperStart)
    const dir = this.networkDir(flags)
    const store = gatekeeperStoreSpec(networkPaths(dir), flags.provider, {
      kind: flags.store as 'sqlite' | 'postgres',
      sqliteFile: flags['sqlite-file'],
    })
    if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1' && !flags['tls-cert']) {
      this.warn(
        `Listening on ${flags.host} without TLS: responses are encrypted to each requester, ` +
          `but requests and their metadata travel in the clear. Give --tls-cert and --tls-key.`,
      )
    }
    const running = await startGatekeeper({
      dir,
      provider: flags.provider,
      host: flags.host,
      port: flags.port,
      store,
      auditLog: flags['audit-log'],
      auditKeyFile: flags['audit-key'],
      anchorEverySeconds: flags['anchor-every'],
      // Progress goes to stderr, so stdout keeps only the ready line.
      onAnchor: (event) =>
        process.stderr.write(
          event.type === 'anchored'
            ? `Audit log anchored at entry ${event.entries} in block ${event.block} (${event.transactionHash}).\n`
            : `Could not anchor the audit log${event.entries ? ` at entry ${event.entries}` : ''}: ${event.message}\n`,
        ),
      tls: flags['tls-cert'] && flags['tls-key'] ? {certFile: flags['tls-cert'], keyFile: flags['tls-key']} : undefined,
      maxHeadAgeMs: flags['max-head-age'] === undefined ? undefined : flags['max-head-age'] * 1000,
      limits: {
        requesterQuota: {perSecond: flags['requester-rate'], burst: 2 * flags['requester-rate']},
        sourceQuota: {perSecond: flags['source-rate'], burst: 2 * flags['source-rate']},
      },
    })
    const {url, provider, store: kind, auditLog, anchoring, block} = running
    const maxHeadAgeSeconds = running.maxHeadAgeMs / 1000
    const result = {url, provider, store: kind, auditLog, anchoring, block, maxHeadAgeSeconds}
    // Ready: the result goes out now (a supervisor or test reads this line), then we serve until a signal.
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(result)}\n`)
    else {
      const anchored =
        'disabled' in anchoring ? `not anchored: ${anchoring.disabled}` : `anchored every ${anchoring.everySeconds} s`
      this.log(
        `Gatekeeper for ${provider.name} (${provider.account}) listening on ${url}; ${kind} store; ` +
          `audit log ${auditLog} (${anchored}); chain at block ${block}.`,
      )
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await running.close()
    // The result was printed when the server became ready; a second copy would confuse a
    // reader of --json, so a clean shutdown ends here (a long-running server is the one
    // command that exits by itself).
    process.exit(0)
  }
}

describeCommand(GatekeeperStart, import.meta.url)
