import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {bundleOutFlag, chainIdFlag, cliqueGenesisFlags, pathFlag} from '../../cli/shared-flags.js'
import {foundConsortium, type FoundConsortiumResult} from '../../member/found-consortium.js'

export default class ConsortiumFound extends MemberCommand {
  static override flags = {
    name: Flags.string({summary: "The consortium's network name (prefixes its Docker objects).", required: true}),
    card: pathFlag({
      summary: "Another founder's card file (repeat for each; yours is included).",
      multiple: true,
    }),
    'chain-id': chainIdFlag,
    ...cliqueGenesisFlags,
    out: bundleOutFlag,
  }

  async run(): Promise<FoundConsortiumResult> {
    const result = await this.serve(ConsortiumFound, foundConsortium, {card: 'cardFiles'})
    this.log(`Founded ${result.network} (chain id ${result.chainId}, period ${result.period} s) with:`)
    for (const f of result.founders) this.log(`  ${f.name.padEnd(20)} ${f.signer}  ${f.host}:${f.port}`)
    this.log(`Bundle (revision ${result.revision}): ${result.out ?? result.bundleFile}`)
    this.log('Send it to the other founders; each runs `medrec consortium import FILE` in its own workspace.')
    return result
  }
}

describeCommand(ConsortiumFound, import.meta.url)
