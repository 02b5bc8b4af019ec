import {MedrecCommand} from '../../base-command.js'
import {deployNetworkContracts, type DeployNetworkContractsResult} from '../../consortium/deploy-network-contracts.js'

export default class ContractsDeploy extends MedrecCommand {
  static override summary = 'Deploy the MedRec contracts to the running network (idempotent).'
  static override description =
    'Compiles the packaged contracts, refuses PUSH0 bytecode, and deploys Relationship, ' +
    "Summary and Registrar from the consortium's deployer key through the RPC node. Addresses " +
    "are recorded in the network's state; running it again finds them and leaves them."
  static override examples = ['<%= config.bin %> contracts deploy', '<%= config.bin %> contracts deploy --json']

  async run(): Promise<DeployNetworkContractsResult> {
    const {flags} = await this.parse(ContractsDeploy)
    const result = await this.withProgress((progress) =>
      deployNetworkContracts({dir: this.networkDir(flags), progress}),
    )
    const reused = new Set<string>(result.reused)
    for (const [name, address] of Object.entries(result.addresses)) {
      this.log(`${name.padEnd(12)} ${address}${reused.has(name) ? '  (already deployed)' : ''}`)
    }
    this.log(`Governance: ${result.governance}`)
    return result
  }
}
