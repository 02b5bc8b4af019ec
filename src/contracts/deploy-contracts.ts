import {
  BaseError,
  getAddress,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'
import {registrarAbi} from './abi/registrar.js'
import type {ContractArtifact} from './compile-contracts.js'
import {assertNoPush0} from './push0.js'

/** The contracts MedRec deploys, in dependency order: implementations, then the Registrar. */
export const medrecDeployOrder = ['Relationship', 'Summary', 'Registrar'] as const
export type MedrecContractName = (typeof medrecDeployOrder)[number]

/** Progress, for a renderer to draw; the service itself never prints. */
export type DeployProgressEvent =
  | {type: 'reused'; name: MedrecContractName; address: Address}
  | {type: 'sent'; name: MedrecContractName; txHash: Hex}
  | {type: 'deployed'; name: MedrecContractName; address: Address; txHash: Hex}

/** What a deployment talks to the chain with: the deploying (and paying) account's wallet, and a reader. */
export type DeployClients = {
  walletClient: WalletClient<Transport, Chain | undefined, Account>
  publicClient: PublicClient<Transport, Chain | undefined>
}

export type DeployMedrecContractsOptions = DeployClients & {
  artifacts: Record<string, ContractArtifact>
  /** First governance of the Registrar; defaults to the deploying account. */
  governance?: Address
  /** Addresses from an earlier run; reused when their code matches the artifacts. */
  existing?: Partial<Record<MedrecContractName, Address>>
  onProgress?: (event: DeployProgressEvent) => void
}

export type DeployMedrecContractsResult = {
  addresses: Record<MedrecContractName, Address>
  deployed: MedrecContractName[]
  reused: MedrecContractName[]
}

/**
 * Deploys Relationship and Summary implementations and the Registrar, refusing PUSH0
 * bytecode first. Idempotent: an `existing` address whose code matches the artifact
 * (immutables masked) is reused; an empty one is redeployed; different code is refused.
 */
export async function deployMedrecContracts(
  options: DeployMedrecContractsOptions,
): Promise<DeployMedrecContractsResult> {
  const artifacts = requireArtifacts(options.artifacts)
  // Check everything before sending anything, so a bad build deploys nothing.
  for (const name of medrecDeployOrder) {
    assertNoPush0(name, artifacts[name].bytecode)
    assertNoPush0(`${name} (runtime)`, artifacts[name].deployedBytecode)
  }

  const addresses: Partial<Record<MedrecContractName, Address>> = {}
  const deployed: MedrecContractName[] = []
  const reused: MedrecContractName[] = []
  for (const name of medrecDeployOrder) {
    const existing = options.existing?.[name]
    if (existing !== undefined && (await hasMatchingCode(options.publicClient, existing, artifacts[name]))) {
      addresses[name] = getAddress(existing)
      reused.push(name)
      options.onProgress?.({type: 'reused', name, address: existing})
      continue
    }
    const args = name === 'Registrar' ? registrarArgs(options, addresses) : []
    addresses[name] = await deployOne(options, name, artifacts[name], args)
    deployed.push(name)
  }

  const complete = addresses as Record<MedrecContractName, Address>
  if (reused.includes('Registrar')) await assertRegistrarWiring(options.publicClient, complete)
  return {addresses: complete, deployed, reused}
}

/** True when `code` is the artifact's runtime code, ignoring the immutables' bytes. */
export function codeMatchesArtifact(
  code: Hex,
  artifact: Pick<ContractArtifact, 'deployedBytecode' | 'immutableRanges'>,
): boolean {
  const actual = code.slice(2).toLowerCase()
  const expected = artifact.deployedBytecode.slice(2).toLowerCase()
  if (actual.length !== expected.length) return false
  let masked = expected
  let maskedActual = actual
  for (const {start, length} of artifact.immutableRanges) {
    const zeros = '0'.repeat(length * 2)
    masked = masked.slice(0, start * 2) + zeros + masked.slice((start + length) * 2)
    maskedActual = maskedActual.slice(0, start * 2) + zeros + maskedActual.slice((start + length) * 2)
  }
  return masked === maskedActual
}

function requireArtifacts(artifacts: Record<string, ContractArtifact>): Record<MedrecContractName, ContractArtifact> {
  const missing = medrecDeployOrder.filter((name) => artifacts[name] === undefined)
  if (missing.length > 0) {
    throw new MedrecError(errorCodes.DEPLOY_FAILED, `Missing compiled contracts: ${missing.join(', ')}.`, {
      hint: 'Compile the contracts/ folder with compileMedrecContracts and pass its artifacts.',
    })
  }
  return artifacts as Record<MedrecContractName, ContractArtifact>
}

function registrarArgs(
  options: DeployMedrecContractsOptions,
  addresses: Partial<Record<MedrecContractName, Address>>,
): unknown[] {
  return [options.governance ?? options.walletClient.account.address, addresses.Relationship, addresses.Summary]
}

/** Where deployed code is read from: a viem public client, or anything else with its getCode. */
export type ContractCodeSource = {getCode(args: {address: Address}): Promise<Hex | undefined>}

/**
 * Whether a stored deployment can be reused: false when nothing is there (a reset chain),
 * true when its code is the compiled contract's; anything else is refused, never overwritten.
 */
export async function hasMatchingCode(
  codeSource: ContractCodeSource,
  address: Address,
  artifact: ContractArtifact,
  hint = 'The sources changed since that deployment, or the address belongs to something else. ' +
    'Drop the stored address to deploy afresh.',
): Promise<boolean> {
  const code = await codeSource.getCode({address})
  if (code === undefined || code === '0x') return false
  if (codeMatchesArtifact(code, artifact)) return true
  throw new MedrecError(
    errorCodes.DEPLOY_FAILED,
    `${artifact.contractName} at ${address} runs different code than the compiled contract.`,
    {hint},
  )
}

async function assertRegistrarWiring(
  publicClient: DeployClients['publicClient'],
  addresses: Record<MedrecContractName, Address>,
): Promise<void> {
  const [relationship, summary] = await Promise.all([
    publicClient.readContract({
      address: addresses.Registrar,
      abi: registrarAbi,
      functionName: 'relationshipImplementation',
    }),
    publicClient.readContract({address: addresses.Registrar, abi: registrarAbi, functionName: 'summaryImplementation'}),
  ])
  if (
    relationship.toLowerCase() !== addresses.Relationship.toLowerCase() ||
    summary.toLowerCase() !== addresses.Summary.toLowerCase()
  ) {
    throw new MedrecError(
      errorCodes.DEPLOY_FAILED,
      `The Registrar at ${addresses.Registrar} uses other implementations than the ones given.`,
      {
        details: [`Registrar uses Relationship ${relationship} and Summary ${summary}`],
        hint:
          'Pass the implementation addresses the Registrar was deployed ' +
          'with, or drop the stored Registrar address to deploy afresh.',
      },
    )
  }
}

async function deployOne(
  options: DeployMedrecContractsOptions,
  name: MedrecContractName,
  artifact: ContractArtifact,
  args: unknown[],
): Promise<Address> {
  const address = await deployArtifact({
    ...options,
    artifact,
    args,
    onSent: (txHash) => options.onProgress?.({type: 'sent', name, txHash}),
  })
  options.onProgress?.({type: 'deployed', name, address: address.address, txHash: address.txHash})
  return address.address
}

/** Deploys one compiled contract (PUSH0 refused) and waits for it to be mined. */
export async function deployArtifact(
  options: DeployClients & {artifact: ContractArtifact; args: unknown[]; onSent?: (txHash: Hex) => void},
): Promise<{address: Address; txHash: Hex}> {
  const {walletClient, publicClient, artifact} = options
  const name = artifact.contractName
  assertNoPush0(name, artifact.bytecode)
  assertNoPush0(`${name} (runtime)`, artifact.deployedBytecode)
  try {
    const txHash = await walletClient.deployContract({
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      args: options.args,
      account: walletClient.account,
      chain: walletClient.chain ?? null,
    })
    options.onSent?.(txHash)
    const receipt = await publicClient.waitForTransactionReceipt({hash: txHash})
    if (receipt.status !== 'success' || !receipt.contractAddress) {
      throw new MedrecError(errorCodes.DEPLOY_FAILED, `Deploying ${name} reverted (transaction ${txHash}).`, {
        hint: 'Check that the chain runs London or later and that the deploying account has gas.',
      })
    }
    return {address: getAddress(receipt.contractAddress), txHash}
  } catch (error) {
    if (error instanceof MedrecError) throw error
    throw new MedrecError(errorCodes.DEPLOY_FAILED, `Deploying ${name} failed.`, {
      cause: error,
      details: error instanceof BaseError ? [error.shortMessage] : [],
      hint:
        'Check the RPC endpoint, the deploying account and its balance, ' +
        'then run the deploy again; finished contracts are reused.',
    })
  }
}
