import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {memberUp} from '../../member/member-up.js'
import type {StartMemberNodeResult} from '../../member/member-node.js'

export default class MemberUp extends MemberCommand {
  static override flags = {
    timeout: Flags.integer({summary: 'Seconds to wait for the node to seal (or sync).', default: 300, min: 1}),
  }

  async run(): Promise<StartMemberNodeResult & {role: string}> {
    const {flags} = await this.parse(MemberUp)
    const result = await this.withProgress((progress) =>
      memberUp({dir: this.networkDir(flags), timeoutMs: flags.timeout * 1000, progress}),
    )
    this.log(`${result.member} of ${result.network} on ${result.engine}: ${result.summary}`)
    if (result.votes) {
      this.log(
        `  waiting for votes: ${result.votes.received} of ${result.votes.signers} (${result.votes.needed} needed)`,
      )
    }
    const online = result.signersOnline
    if (online && online.online < online.needed) {
      // A founder started before a majority: ready, but the chain moves only once more founders run.
      this.log(
        `  signers  ${online.online} of ${online.signers} online; the chain moves once ${online.needed} are: ` +
          'start the other founders',
      )
    }
    this.log(`  block    ${result.blockNumber} ${result.headHash}`)
    for (const peer of result.peers) {
      const how = peer.reachable ? (peer.connected ? 'connected' : 'reachable') : `NOT reachable (${peer.error})`
      this.log(`  peer     ${peer.name.padEnd(16)} ${peer.address.padEnd(22)} ${how}`)
    }
    if (result.rpc) this.log(`  rpc      ${result.rpc.url}`)
    return result
  }
}

describeCommand(MemberUp, import.meta.url)
