import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {keysLightKdfWarning, newProviderNameArg, workspaceLightKdfFlag} from '../../cli/shared-flags.js'
import {parseAdvertisedAddress} from '../../config/member-config.js'
import {initMember, type InitMemberResult} from '../../member/init-member.js'

export default class MemberInit extends MemberCommand {
  static override args = {name: newProviderNameArg}

  static override flags = {
    advertise: Flags.string({
      summary: "HOST[:PORT] where the other members' nodes reach this node (devp2p; port 30303 by default).",
      required: true,
    }),
    rpc: Flags.boolean({
      summary: 'Run a keyless JSON-RPC node beside the sealer (--no-rpc: none).',
      default: true,
      allowNo: true,
    }),
    'rpc-host': Flags.string({summary: "Host address the RPC node's port is published on.", default: '127.0.0.1'}),
    'rpc-port': Flags.integer({summary: "Host port of the RPC node's JSON-RPC.", default: 8545}),
    'light-kdf': workspaceLightKdfFlag,
    force: Flags.boolean({char: 'f', summary: 'Rewrite medrec-member.yaml and the card (keys are kept).'}),
  }

  async run(): Promise<InitMemberResult> {
    const {args, flags} = await this.parse(MemberInit)
    if (flags['light-kdf']) this.warn(keysLightKdfWarning)
    const result = await initMember({
      dir: this.networkDir(flags),
      name: args.name,
      advertise: parseAdvertisedAddress(flags.advertise),
      rpc: {enabled: flags.rpc, host: flags['rpc-host'], port: flags['rpc-port']},
      lightKdf: flags['light-kdf'],
      force: flags.force,
    })
    this.log(`Initialised member ${result.name} in ${result.dir}.`)
    this.log(`  signer   ${result.signer}${result.keyCreated ? '' : '  (existing key kept)'}`)
    this.log(`  node     enode://${result.enode.slice(0, 16)}…@${result.advertise.host}:${result.advertise.port}`)
    this.log(`  card     ${result.cardFile}`)
    this.log('Send the card to the consortium. Keys and passwords are in .medrec/keys: back them up, never send them.')
    return result
  }
}

describeCommand(MemberInit, import.meta.url)
