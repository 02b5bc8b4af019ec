import {createInterface} from 'node:readline/promises'

import {Flags} from '@oclif/core'

import {MemberCommand} from '../../cli/member-command.js'
import {errorCodes} from '../../errors/error-codes.js'
import {MedrecError} from '../../errors/medrec-error.js'
import {memberDestroy, memberNodeExists} from '../../member/member-up.js'

export default class MemberDestroy extends MemberCommand {
  static override summary = "Remove this provider's containers, volumes and Docker network: its copy of the chain."
  static override description =
    "Only this member's objects on its engine are removed. Its keys, medrec-member.yaml and the consortium bundle \
stay, so `medrec member up` starts its node again and syncs from its peers. Asks first unless --force."
  static override examples = ['<%= config.bin %> member destroy', '<%= config.bin %> member destroy --force']

  static override flags = {
    force: Flags.boolean({char: 'f', summary: 'Do not ask for confirmation.'}),
  }

  async run(): Promise<Awaited<ReturnType<typeof memberDestroy>>> {
    const {flags} = await this.parse(MemberDestroy)
    const dir = this.networkDir(flags)
    if (!flags.force && (await memberNodeExists({dir}))) {
      if (!process.stdin.isTTY || this.jsonEnabled()) {
        throw new MedrecError(
          errorCodes.CONFIRMATION_REQUIRED,
          "Destroying this member's node deletes its copy of the chain, and there is no terminal to confirm on.",
          {hint: 'Pass --force to confirm.'},
        )
      }
      const rl = createInterface({input: process.stdin, output: process.stderr})
      const answer = await rl.question(
        'This deletes this member\'s copy of the chain (keys are kept). Type "destroy" to confirm: ',
      )
      rl.close()
      if (answer.trim() !== 'destroy') {
        throw new MedrecError(errorCodes.CONFIRMATION_REQUIRED, 'Not confirmed; nothing was removed.')
      }
    }
    const result = await memberDestroy({dir})
    const r = result.removed
    this.log(`Removed ${r.containers} container(s), ${r.volumes} volume(s) and ${r.networks} network(s) of \
${result.member}.`)
    return result
  }
}
