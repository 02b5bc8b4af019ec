import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import type {WorkspaceKind} from '../../config/workspace-kind.js'
import {findWorkspaceFiles} from '../../config/workspace-kind.js'
import {deployNetworkContracts, type DeployNetworkContractsResult} from '../../consortium/deploy-network-contracts.js'
import {deployMemberContracts, type DeployMemberContractsResult} from '../../member/deploy-member-contracts.js'
import {outFile} from '../../cli/shared-flags.js'

export default class ContractsDeploy extends MedrecCommand {
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

describeCommand(ContractsDeploy, import.meta.url)
