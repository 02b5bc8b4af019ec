import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {memberDown} from '../../member/member-up.js'

export default class MemberDown extends MemberCommand {
  async run(): Promise<Awaited<ReturnType<typeof memberDown>>> {
    const result = await this.serve(MemberDown, memberDown)
    this.log(
      result.stopped.length > 0
        ? `Stopped ${result.stopped.join(', ')} of ${result.member}.`
        : `Nothing of ${result.member} was running.`,
    )
    return result
  }
}

describeCommand(MemberDown, import.meta.url)
