import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import type {WorkspaceKind} from '../../config/workspace-kind.js'
import {findWorkspaceFiles} from '../../config/workspace-kind.js'
import {deployNetworkContracts, type DeployNetworkContractsResult} from '../../consortium/deploy-network-contracts.js'
import {deployMemberContracts, type DeployMemberContractsResult} from '../../member/deploy-member-contracts.js'
import {outFile} from '../../cli/shared-flags.js'

export default class ContractsDeploy extends MedrecCommand {
  static override summary = 'Deploy the MedRec contracts to the running network (idempotent).'
  static override description =
    'Compiles the packaged contracts, refuses PUSH0 bytecode, and deploys Relationship, ' +
    "Summary and Registrar from the consortium's deployer key through the RPC node. Addresses " +
    "are recorded in the network's state; running it again finds them and leaves them.\n" +
    "In a member workspace (medrec-member.yaml) it deploys with the member's own account through its own keyless " +
    "RPC node, founds the Consortium with the bundle's members, lists the addresses and code hashes in the " +
    'consortium bundle and exports it (next revision, signed; --out writes a copy to send to the others).'
  static override examples = [
    '<%= config.bin %> contracts deploy',
    '<%= config.bin %> contracts deploy --json',
    '<%= config.bin %> contracts deploy --dir ./st-anne --out ./carenet.bundle.json',
  ]

  // Either kind: a network workspace deploys with its deployer key, a member workspace with its own.
  static override workspaceKind: WorkspaceKind = 'any'

  static override flags = {
    out: Flags.string({
      char: 'o',
      summary: 'Member workspace: also write the refreshed bundle to this file, to send to the other members.',
    }),
  }

  async run(): Promise<DeployNetworkContractsResult | DeployMemberContractsResult> {
    const {flags} = await this.parse(ContractsDeploy)
    const dir = this.networkDir(flags)
    if ((await findWorkspaceFiles(dir)).member) {
      const result = await this.withProgress((progress) => deployMemberContracts({dir, progress, ...outFile(flags)}))
      const reused = new Set<string>(result.reused)
      for (const [name, address] of Object.entries(result.addresses)) {
        this.log(`${name.padEnd(12)} ${address}${reused.has(name) ? '  (already deployed)' : ''}`)
      }
      this.log(`Founders: ${result.founders.map((f) => f.name).join(', ')}`)
      this.log(`Bundle revision ${result.revision} exported${result.out ? ` to ${result.out}` : ''}: send it to the \
other members (\`medrec consortium import FILE\`).`)
      return result
    }
    const result = await this.withProgress((progress) => deployNetworkContracts({dir, progress}))
    const reused = new Set<string>(result.reused)
    for (const [name, address] of Object.entries(result.addresses)) {
      this.log(`${name.padEnd(12)} ${address}${reused.has(name) ? '  (already deployed)' : ''}`)
    }
    this.log(`Governance: ${result.governance}`)
    return result
  }
}
