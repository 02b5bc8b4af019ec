import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import type {MemberNodeStatus} from '../../member/member-node-status.js'
import {memberStatus} from '../../member/member-up.js'

export default class MemberStatus extends MemberCommand {
  static override flags = {
    'probe-timeout': Flags.integer({summary: "Milliseconds to wait for each peer's TCP probe.", default: 3000, min: 1}),
  }

  async run(): Promise<MemberNodeStatus> {
    const status = await this.serve(MemberStatus, memberStatus, {'probe-timeout': 'probeTimeoutMs'})
    this.log(`${status.member} of ${status.network} on ${status.engine}`)
    if (status.nodes.length === 0) this.log('  no node on this engine (run `medrec member up`)')
    for (const node of status.nodes) this.log(`  ${node.node.padEnd(9)} ${node.state}`)
    const chain = status.chain
    if (chain) {
      this.log(`  block     ${chain.blockNumber} ${chain.headHash} (${chain.headAgeSeconds} s old)`)
      this.log(`  signer    ${chain.signer ? 'yes' : 'no'}${chain.mining ? ', mining' : ''}, of ${chain.signers}`)
      if (chain.votes) this.log(`  waiting for votes: ${chain.votes.received} of ${chain.votes.signers}`)
    }
    for (const peer of status.peers) {
      const how = peer.reachable ? 'reachable' : `NOT reachable (${peer.error})`
      const link = peer.connected === null ? '' : peer.connected ? ', connected' : ', not connected'
      this.log(`  peer      ${peer.name.padEnd(16)} ${peer.address.padEnd(22)} ${how}${link}`)
    }
    return status
  }
}

describeCommand(MemberStatus, import.meta.url)
