import {fileURLToPath} from 'node:url'

import type {Address} from 'viem'

import {networkClients, networkWalletClient} from '../chain/network-clients.js'
import {deployerKeyName} from '../network/init-network.js'
import {writeNetworkState} from '../network/network-state.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {compileMedrecContracts} from './compile-contracts.js'
import {deployMedrecContracts, type MedrecContractName} from './deploy-contracts.js'

/** The Solidity sources shipped with the tool. */
export const packagedContractsDir = fileURLToPath(new URL('../../contracts', import.meta.url))

export type DeployNetworkContractsResult = {
  chainId: number
  addresses: Record<MedrecContractName, Address>
  deployed: MedrecContractName[]
  reused: MedrecContractName[]
  governance: Address
  solcVersion: string
}

/**
 * Compiles the packaged contracts and deploys them from the consortium's deployer key
 * through the RPC node. Each address is recorded in the network's state as soon as it is
 * mined, so a deploy that stops half-way resumes; contracts already there are kept.
 */
export async function deployNetworkContracts(options: {dir: string; progress?: ProgressListener}): Promise<DeployNetworkContractsResult> {
  const progress = options.progress ?? silentProgress
  const {network, chain, publicClient} = await networkClients(options.dir)
  const compiled = await runStep(progress, 'compile', 'Compiling the contracts (solc, evmVersion london)', () => compileMedrecContracts({contractsDir: packagedContractsDir}), (c) => `solc ${c.solcVersion}`)
  const wallet = await networkWalletClient(network, chain, deployerKeyName)
  // Progress callbacks are not awaited by the deploy loop: chain the state writes.
  let saving = Promise.resolve()
  const result = await runStep(progress, 'deploy', 'Deploying Relationship, Summary and Registrar', (update) =>
    deployMedrecContracts({
      walletClient: wallet,
      publicClient,
      artifacts: compiled.artifacts,
      existing: network.state.contracts as Partial<Record<MedrecContractName, Address>>,
      onProgress: (event) => {
        update(`${event.name}: ${event.type}`)
        if (event.type === 'deployed') {
          network.state.contracts[event.name] = event.address
          saving = saving.then(() => writeNetworkState(network.paths, network.state))
        }
      },
    }), (r) => (r.deployed.length === 0 ? 'already deployed' : `deployed ${r.deployed.join(', ')}`))
  await saving
  network.state.contracts = {...result.addresses}
  await writeNetworkState(network.paths, network.state)
  return {chainId: chain.id, addresses: result.addresses, deployed: result.deployed, reused: result.reused, governance: wallet.account.address, solcVersion: compiled.solcVersion}
}
