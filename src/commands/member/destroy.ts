import {confirmDestroy, destroyForceFlag} from '../../cli/confirm-destroy.js'
import {MemberCommand} from '../../cli/member-command.js'
import {memberDestroy, memberNodeExists} from '../../member/member-up.js'

export default class MemberDestroy extends MemberCommand {
  static override summary = "Remove this provider's containers, volumes and Docker network: its copy of the chain."
  static override description =
    "Only this member's objects on its engine are removed. Its keys, medrec-member.yaml and the consortium bundle \
stay, so `medrec member up` starts its node again and syncs from its peers. Asks first unless --force."
  static override examples = ['<%= config.bin %> member destroy', '<%= config.bin %> member destroy --force']

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
