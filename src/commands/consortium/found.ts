import {resolve} from 'node:path'

import {Flags} from '@oclif/core'

import {MemberCommand} from '../../cli/member-command.js'
import {chainIdFlag, chainSettings, cliqueGenesisFlags, outFile} from '../../cli/shared-flags.js'
import {foundConsortium, type FoundConsortiumResult} from '../../member/found-consortium.js'

export default class ConsortiumFound extends MemberCommand {
  static override summary = "Found a consortium from the founders' node cards, in the convener's member workspace."
  static override description =
    `Builds the genesis from the founders' cards (their signers seal from block 0; each founder's account is funded), \
makes the consortium's identity key and encrypts it to each founder's key, and writes the consortium bundle signed by \
this member, the convener, who is always a founder. No founder's key is needed: only their public cards. The bundle is \
stored in this workspace (consortium.bundle.json); send it (or --out) to the other founders, who import it.`
  static override examples = [
    '<%= config.bin %> consortium found --name carenet --card ./st-bart.card.json --card ./st-clare.card.json',
    '<%= config.bin %> consortium found --name carenet --card b.card.json --chain-id 4242001 --period 2 ' +
      '--out carenet.bundle.json',
  ]

  static override flags = {
    name: Flags.string({summary: "The consortium's network name (prefixes its Docker objects).", required: true}),
    card: Flags.string({summary: "Another founder's card file (repeat for each; yours is included).", multiple: true}),
    'chain-id': chainIdFlag,
    ...cliqueGenesisFlags,
    out: Flags.string({summary: 'Also write the bundle to this file, to send to the other founders.'}),
  }

  async run(): Promise<FoundConsortiumResult> {
    const {flags} = await this.parse(ConsortiumFound)
    const result = await foundConsortium({
      dir: this.networkDir(flags),
      name: flags.name,
      cardFiles: (flags.card ?? []).map((file) => resolve(file)),
      ...chainSettings(flags),
      ...outFile(flags),
    })
    this.log(`Founded ${result.network} (chain id ${result.chainId}, period ${result.period} s) with:`)
    for (const f of result.founders) this.log(`  ${f.name.padEnd(20)} ${f.signer}  ${f.host}:${f.port}`)
    this.log(`Bundle (revision ${result.revision}): ${result.out ?? result.bundleFile}`)
    this.log('Send it to the other founders; each runs `medrec consortium import FILE` in its own workspace.')
    return result
  }
}
