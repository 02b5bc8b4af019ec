import {resolve} from 'node:path'

import {Args} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {MemberCommand} from '../../cli/member-command.js'
import {importBundle, type ImportBundleResult} from '../../member/import-bundle.js'
import {refreshMemberNode} from '../../member/member-up.js'

export default class ConsortiumImport extends MemberCommand {
  static override args = {
    file: Args.string({description: 'The bundle file a member exported.', required: true}),
  }

  async run(): Promise<ImportBundleResult> {
    const {args, flags} = await this.parse(ConsortiumImport)
    const result = await importBundle({dir: this.networkDir(flags), file: resolve(args.file)})
    // A running node takes the bundle's new members and joiners as peers now; no engine, no node: nothing to do.
    const peersRefreshed = await refreshMemberNode({dir: this.networkDir(flags)}).catch(() => false)
    if (peersRefreshed) this.log('  peers    your running node now trusts and dials every member and joiner')
    const what = {first: 'Imported', newer: 'Updated to', same: 'Already held'}[result.succession]
    this.log(`${what} ${result.network} revision ${result.revision} (chain id ${result.chainId}), exported by \
${result.exportedBy}.`)
    this.log(`  members  ${result.members.map((m) => m.name).join(', ')}`)
    if (result.joining.length > 0) this.log(`  joining  ${result.joining.map((m) => m.name).join(', ')}`)
    this.log(`  you      ${result.role === 'member' ? 'a member' : 'a joiner, not yet admitted'}`)
    if (result.identityKey === 'written') this.log('  identity key decrypted into .medrec/keys/identity/hmac.key')
    for (const c of result.contracts) {
      const checked = c.trusted ? '(code verified on your own node)' : '(not yet verified on your own node)'
      this.log(`  ${c.name.padEnd(12)} ${c.address}  ${checked}`)
    }
    if (result.contractsUnchecked)
      this.log(`  contracts not checked: ${result.contractsUnchecked}; import again once \
your node runs (\`medrec member up\`).`)
    return result
  }
}

describeCommand(ConsortiumImport, import.meta.url)
