import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {printLogStreams} from '../../cli/print-log-streams.js'
import {nodeLogsFlags} from '../../cli/shared-flags.js'
import {memberLogs} from '../../member/member-up.js'

export default class MemberLogs extends MemberCommand {
  static override enableJsonFlag = false

  static override args = {
    node: Args.option({
      description: 'Which node; all of them when omitted.',
      options: ['sealer', 'rpc', 'watchdog'] as const,
    })(),
  }

  static override flags = nodeLogsFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(MemberLogs)
    const streams = await memberLogs({
      dir: this.networkDir(flags),
      ...(args.node ? {node: args.node} : {}),
      follow: flags.follow,
      ...(flags.tail === undefined ? {} : {tail: flags.tail}),
    })
    await printLogStreams(streams)
  }
}

describeCommand(MemberLogs, import.meta.url)
