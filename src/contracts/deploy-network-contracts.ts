import {fileURLToPath} from 'node:url'

import {getAddress, type Address, type Hash} from 'viem'

import {networkClients, networkWalletClient, type NetworkPublicClient} from '../chain/network-clients.js'
import {deployerKeyName} from '../network/init-network.js'
import {writeNetworkState, type NetworkState} from '../network/network-state.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {registrarAbi} from './abi/registrar.js'
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
  const existing = await adoptPendingDeployments(publicClient, network.state)
  // Progress callbacks are not awaited by the deploy loop: chain the state writes.
  let saving = Promise.resolve()
  const save = () => {
    saving = saving.then(() => writeNetworkState(network.paths, network.state))
  }
  const result = await runStep(progress, 'deploy', 'Deploying Relationship, Summary and Registrar', (update) =>
    deployMedrecContracts({
      walletClient: wallet,
      publicClient,
      artifacts: compiled.artifacts,
      existing,
      onProgress: (event) => {
        update(`${event.name}: ${event.type}`)
        // A sent deployment is recorded at once: if the tool stops before it is mined,
        // the next run adopts that contract instead of deploying a second one.
        if (event.type === 'sent') {
          network.state.pendingDeployments[event.name] = event.txHash
          save()
        }
        if (event.type === 'deployed') {
          network.state.contracts[event.name] = event.address
          delete network.state.pendingDeployments[event.name]
          save()
        }
      },
    }), (r) => (r.deployed.length === 0 ? 'already deployed' : `deployed ${r.deployed.join(', ')}`))
  await saving
  network.state.contracts = {...network.state.contracts, ...result.addresses}
  network.state.pendingDeployments = {}
  await writeNetworkState(network.paths, network.state)
  const governance = await publicClient.readContract({address: result.addresses.Registrar, abi: registrarAbi, functionName: 'governance'})
  return {chainId: chain.id, addresses: result.addresses, deployed: result.deployed, reused: result.reused, governance: getAddress(governance), solcVersion: compiled.solcVersion}
}

/**
 * Addresses to reuse: the recorded ones, plus contracts whose deployment an earlier run
 * sent but did not see mined. A pending transaction still unmined after a short wait is
 * forgotten (it was dropped), and that contract is deployed again.
 */
async function adoptPendingDeployments(publicClient: NetworkPublicClient, state: NetworkState): Promise<Partial<Record<MedrecContractName, Address>>> {
  const existing = {...state.contracts} as Partial<Record<MedrecContractName, Address>>
  for (const [name, hash] of Object.entries(state.pendingDeployments)) {
    const receipt = await publicClient.waitForTransactionReceipt({hash: hash as Hash, timeout: 30_000}).catch(() => undefined)
    if (receipt?.status === 'success' && receipt.contractAddress && existing[name as MedrecContractName] === undefined) {
      existing[name as MedrecContractName] = getAddress(receipt.contractAddress)
    }
  }
  return existing
}
