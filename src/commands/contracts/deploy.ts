import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {memberBundleOutFlag} from '../../cli/shared-flags.js'
import {findWorkspaceFiles, type WorkspaceKind} from '../../config/workspace-kind.js'
import {deployNetworkContracts, type DeployNetworkContractsResult} from '../../consortium/deploy-network-contracts.js'
import {deployMemberContracts, type DeployMemberContractsResult} from '../../member/deploy-member-contracts.js'

export default class ContractsDeploy extends MedrecCommand {
  // Either kind: a network workspace deploys with its deployer key, a member workspace with its own.
  static override workspaceKind: WorkspaceKind = 'any'

  static override flags = {out: memberBundleOutFlag}

  async run(): Promise<DeployNetworkContractsResult | DeployMemberContractsResult> {
    const {flags} = await this.parse(ContractsDeploy)
    const dir = this.networkDir(flags)
    if ((await findWorkspaceFiles(dir)).member) {
      const result = await this.withProgress((progress) => deployMemberContracts({dir, progress, out: flags.out}))
      this.logAddresses(result)
      this.log(`Founders: ${result.founders.map((f) => f.name).join(', ')}`)
      this.log(`Bundle revision ${result.revision} exported${result.out ? ` to ${result.out}` : ''}: send it to the \
other members (\`medrec consortium import FILE\`).`)
      return result
    }
    const result = await this.withProgress((progress) => deployNetworkContracts({dir, progress}))
    this.logAddresses(result)
    this.log(`Governance: ${result.governance}`)
    return result
  }

  private logAddresses(result: {addresses: Record<string, string>; reused: readonly string[]}): void {
    const reused = new Set(result.reused)
    for (const [name, address] of Object.entries(result.addresses)) {
      this.log(`${name.padEnd(12)} ${address}${reused.has(name) ? '  (already deployed)' : ''}`)
    }
  }
}

describeCommand(ContractsDeploy, import.meta.url)
