import {join} from 'node:path'

import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import type {WorkspaceKind} from '../../config/workspace-kind.js'
import {
  compileMedrecContracts,
  packagedContractsDir,
  writeContractArtifacts,
} from '../../contracts/compile-contracts.js'
import {assertNoPush0} from '../../contracts/push0.js'

export default class ContractsCompile extends MedrecCommand {
  static override workspaceKind: WorkspaceKind = 'any'

  static override flags = {
    out: Flags.string({summary: 'Directory for the artifacts (ABI modules go to OUT/abi).', default: 'artifacts'}),
    contracts: Flags.directory({
      summary: 'Directory of the Solidity sources.',
      default: packagedContractsDir,
      // Help and the README show this, not the absolute path of wherever the package is installed.
      defaultHelp: async () => "the package's contracts/",
      exists: true,
    }),
  }

  async run(): Promise<{
    solcVersion: string
    contracts: Record<string, {sourceHash: string; bytecodeBytes: number}>
    files: string[]
  }> {
    const {flags} = await this.parse(ContractsCompile)
    const out = join(this.networkDir(flags), flags.out)
    const result = await compileMedrecContracts({contractsDir: flags.contracts})
    for (const artifact of Object.values(result.artifacts))
      assertNoPush0(artifact.contractName, artifact.deployedBytecode)
    const files = await writeContractArtifacts(result, {artifactsDir: out, abiModuleDir: join(out, 'abi')})
    this.log(
      `Compiled ${Object.keys(result.artifacts).join(', ')} with solc ` +
        `${result.solcVersion} (evmVersion london); wrote ${files.length} files to ${out}.`,
    )
    const contracts = Object.fromEntries(
      Object.values(result.artifacts).map((a) => [
        a.contractName,
        {sourceHash: a.sourceHash, bytecodeBytes: (a.deployedBytecode.length - 2) / 2},
      ]),
    )
    return {solcVersion: result.solcVersion, contracts, files}
  }
}

describeCommand(ContractsCompile, import.meta.url)
