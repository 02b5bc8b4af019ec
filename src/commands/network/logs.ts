import {Args} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {printLogStreams} from '../../cli/print-log-streams.js'
import {nodeLogsFlags} from '../../cli/shared-flags.js'
import {openNetworkLogs} from '../../network/network-logs.js'

export default class NetworkLogs extends MedrecCommand {
  static override enableJsonFlag = false

  static override args = {
    node: Args.string({description: 'A sealer\'s name, "rpc", or "reconciler". All of them when omitted.'}),
  }

  static override flags = nodeLogsFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NetworkLogs)
    const streams = await openNetworkLogs({
      ...this.dockerNetwork(flags),
      node: args.node,
      follow: flags.follow,
      tail: flags.tail,
    })
    await printLogStreams(streams)
  }
}

describeCommand(NetworkLogs, import.meta.url)
