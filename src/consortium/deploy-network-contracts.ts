import {getAddress, parseEther, type Address, type Hash, type Hex} from 'viem'

import {sendEther} from '../accounts/accounts.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {compilePackagedContracts} from '../contracts/compile-contracts.js'
import {deployAuditAnchors} from '../contracts/deploy-audit-anchors.js'
import {deployMedrecContracts, type MedrecContractName} from '../contracts/deploy-contracts.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {currentSigners} from '../clique/signers-at.js'
import {networkClients, networkWalletClient, type NetworkPublicClient} from '../workspace/network-clients.js'
import {deployerKeyName} from '../workspace/network-keys.js'
import type {NetworkPaths} from '../workspace/network-files.js'
import {changeNetworkState, type NetworkState} from '../workspace/network-state.js'
import {establishConsortium} from './deploy-consortium.js'
import {providerIdentity} from './provider-identity.js'

type DeployedName = MedrecContractName | 'Consortium' | 'AuditAnchors'

export type DeployNetworkContractsResult = {
  chainId: number
  addresses: Record<DeployedName, Address>
  deployed: DeployedName[]
  reused: DeployedName[]
  /** The Registrar's governance: the Consortium. */
  governance: Address
  /** The sealing providers the Consortium started with: the signers at deploy time. */
  founders: {name: string; id: Hex; account: Address}[]
  solcVersion: string
}

/** What each founding sealer receives for gas, if it holds less than that. */
const founderGasFunds = parseEther('10')

/**
 * Compiles the packaged contracts and deploys them from the consortium's deployer key
 * through the RPC node, then hands the Registrar's governance to a Consortium whose
 * members are the sealers signing at that moment (each registered as a certified
 * provider at its sealer account, and funded for gas). Each address is recorded in the
 * network's state as soon as it is mined, so a deploy that stops half-way resumes;
 * contracts already there are kept.
 */
export async function deployNetworkContracts(options: {
  dir: string
  progress?: ProgressListener
}): Promise<DeployNetworkContractsResult> {
  const progress = options.progress ?? silentProgress
  const {network, chain, publicClient} = await networkClients(options.dir)
  const compiled = await compilePackagedContracts(progress)
  const wallet = await networkWalletClient(network, chain, deployerKeyName)
  const existing = await adoptPendingDeployments(publicClient, network.state)
  // Progress callbacks are not awaited by the deploy loop: chain the state writes.
  let saving = Promise.resolve()
  const save = (change: (state: NetworkState) => void) => {
    saving = saving.then(async () => {
      await changeNetworkState(network, change)
    })
  }
  // A sent deployment is recorded at once: if the tool stops before it is mined, the next
  // run adopts that contract instead of deploying a second one.
  const recordDeployment = (name: string) => ({
    onSent: (txHash: Hex) =>
      save((state) => {
        state.pendingDeployments[name] = txHash
      }),
    onDeployed: (address: Address) =>
      save((state) => {
        state.contracts[name] = address
        delete state.pendingDeployments[name]
      }),
  })
  const result = await runStep(
    progress,
    'deploy',
    'Deploying Relationship, Summary and Registrar',
    (update) =>
      deployMedrecContracts({
        walletClient: wallet,
        publicClient,
        artifacts: compiled.artifacts,
        existing,
        onProgress: (event) => {
          update(`${event.name}: ${event.type}`)
          if (event.type === 'sent') recordDeployment(event.name).onSent(event.txHash)
          if (event.type === 'deployed') recordDeployment(event.name).onDeployed(event.address)
        },
      }),
    (r) => (r.deployed.length === 0 ? 'already deployed' : `deployed ${r.deployed.join(', ')}`),
  )
  await saving
  // Every pending deployment was adopted into `existing` above (or was dropped): forgotten now.
  await changeNetworkState(network, (state) => {
    state.contracts = {...state.contracts, ...result.addresses}
    state.pendingDeployments = {}
  })

  const signers = await currentSigners(network)
  const founders = network.config.sealers
    .filter((s) => signers.some((a) => a.toLowerCase() === s.address.toLowerCase()))
    .map((s) => ({name: s.name, id: providerIdentity(s.name), account: getAddress(s.address)}))
  if (founders.length !== signers.length) {
    throw new MedrecError(
      errorCodes.DEPLOY_FAILED,
      "Some of the chain's signers are not sealers in medrec.yaml, so they cannot found the consortium.",
      {
        details: signers.filter((a) => !founders.some((f) => f.account === getAddress(a))).map((a) => `signer ${a}`),
        hint: 'See `medrec sealer list`; vote unknown signers out first.',
      },
    )
  }
  // Each contract after the first three: deployed (or found) in a step of its own, with its address and any
  // sent deployment recorded as above, and written to the state once its step is done.
  const deployRecorded = async (
    name: 'Consortium' | 'AuditAnchors',
    step: {id: string; title: string; reusedSummary: string},
    deploy: (
      recording: ReturnType<typeof recordDeployment> & {existing: Address | undefined},
      update: (message: string) => void,
    ) => Promise<{address: Address; deployed: boolean}>,
  ) => {
    const done = await runStep(
      progress,
      step.id,
      step.title,
      async (update) => {
        const recording = {...recordDeployment(name), existing: (existing as Record<string, Address | undefined>)[name]}
        const deployed = await deploy(recording, update)
        await saving
        return deployed
      },
      (d) => (d.deployed ? `${name} ${d.address}` : step.reusedSummary),
    )
    await saveDeployedContract(network, name, done.address)
    return done
  }
  const consortium = await deployRecorded(
    'Consortium',
    {
      id: 'consortium',
      title: `Handing governance to a Consortium of ${founders.map((f) => f.name).join(', ')}`,
      reusedSummary: 'already governing',
    },
    async (recording, update) => {
      for (const founder of founders) {
        if ((await publicClient.getBalance({address: founder.account})) < founderGasFunds) {
          update(`funding ${founder.name} for gas`)
          await sendEther(wallet, publicClient, founder.account, founderGasFunds)
        }
      }
      const established = await establishConsortium({
        walletClient: wallet,
        publicClient,
        registrar: result.addresses.Registrar,
        artifact: compiled.artifacts.Consortium!,
        founders,
        ...recording,
      })
      return {address: established.consortium, deployed: established.deployed}
    },
  )
  // Where gatekeepers anchor their audit-log heads (see contracts/AuditAnchors.sol).
  const anchors = await deployRecorded(
    'AuditAnchors',
    {id: 'audit-anchors', title: 'Deploying AuditAnchors', reusedSummary: 'already deployed'},
    (recording) =>
      deployAuditAnchors({
        walletClient: wallet,
        publicClient,
        registrar: result.addresses.Registrar,
        artifact: compiled.artifacts.AuditAnchors!,
        ...recording,
      }),
  )
  const governance = await publicClient.readContract({
    address: result.addresses.Registrar,
    abi: registrarAbi,
    functionName: 'governance',
  })
  const later = [['Consortium', consortium] as const, ['AuditAnchors', anchors] as const]
  return {
    chainId: chain.id,
    addresses: {...result.addresses, Consortium: consortium.address, AuditAnchors: anchors.address},
    deployed: [...result.deployed, ...later.filter(([, d]) => d.deployed).map(([name]) => name)],
    reused: [...result.reused, ...later.filter(([, d]) => !d.deployed).map(([name]) => name)],
    governance: getAddress(governance),
    founders,
    solcVersion: compiled.solcVersion,
  }
}

/**
 * Records one deployed contract's address in state.json, on the state as the file holds it now:
 * votes or addresses that other commands recorded meanwhile (a `network up` at the same time) stay.
 */
export async function saveDeployedContract(
  network: {paths: NetworkPaths; state: NetworkState},
  name: string,
  address: Address,
): Promise<void> {
  await changeNetworkState(network, (state) => {
    state.contracts[name] = address
  })
}

/**
 * Addresses to reuse: the recorded ones, plus contracts whose deployment an earlier run
 * sent but did not see mined. A pending transaction still unmined after a short wait is
 * forgotten (it was dropped), and that contract is deployed again.
 */
async function adoptPendingDeployments(
  publicClient: NetworkPublicClient,
  state: NetworkState,
): Promise<Partial<Record<MedrecContractName, Address>>> {
  const existing = {...state.contracts} as Partial<Record<MedrecContractName, Address>>
  for (const [name, hash] of Object.entries(state.pendingDeployments)) {
    const receipt = await publicClient
      .waitForTransactionReceipt({hash: hash as Hash, timeout: 30_000})
      .catch(() => undefined)
    if (
      receipt?.status === 'success' &&
      receipt.contractAddress &&
      existing[name as MedrecContractName] === undefined
    ) {
      existing[name as MedrecContractName] = getAddress(receipt.contractAddress)
    }
  }
  return existing
}
