import {describeCommand} from '../../cli/command-help.js'
import {confirmDestroy, destroyForceFlag} from '../../cli/confirm-destroy.js'
import {MemberCommand} from '../../cli/member-command.js'
import {memberDestroy, memberNodeExists} from '../../member/member-up.js'

export default class MemberDestroy extends MemberCommand {
  static override flags = {
    force: destroyForceFlag,
  }

  async run(): Promise<Awaited<ReturnType<typeof memberDestroy>>> {
    const {flags} = await this.parse(MemberDestroy)
    const dir = this.networkDir(flags)
    if (!flags.force && (await memberNodeExists({dir}))) {
      await confirmDestroy({
        consequence: "Destroying this member's node deletes its copy of the chain",
        loss: "this member's copy of the chain",
        json: this.jsonEnabled(),
      })
    }
    const result = await memberDestroy({dir})
    const r = result.removed
    this.log(`Removed ${r.containers} container(s), ${r.volumes} volume(s) and ${r.networks} network(s) of \
${result.member}.`)
    return result
  }
}

describeCommand(MemberDestroy, import.meta.url)
