// Test and benchmark support: a deployed MedRec with one account per role, on anvil.
// Not used by the CLI. It lives under src/ so `tsc -p tsconfig.json` typechecks it and the gas
// bench can import it; the build can drop src/**/testing/** from dist.
import {randomBytes} from 'node:crypto'
import {
  BaseError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeErrorResult,
  encodeFunctionData,
  getContract,
  http,
  type Abi,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type EncodeFunctionDataParameters,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'

import {consortiumAbi} from '../abi/consortium.js'
import {registrarAbi} from '../abi/registrar.js'
import {relationshipAbi} from '../abi/relationship.js'
import {summaryAbi} from '../abi/summary.js'
import type {ContractArtifact} from '../compile-contracts.js'
import {medrecConsentDomain, medrecConsentTypes} from '../consent-typed-data.js'
import {deployMedrecContracts} from '../deploy-contracts.js'
import {patientIdentity} from '../derive-identity.js'

/** Every MedRec event and error, for decoding logs and reverts from any of the contracts. */
export const medrecAbi = [...registrarAbi, ...relationshipAbi, ...summaryAbi, ...consortiumAbi] as const

/** Participant kinds as the contracts number them. */
export const ParticipantKind = {None: 0, Patient: 1, Provider: 2, Insurer: 3, Lab: 4, OtherSteward: 5} as const
/** Relationship statuses as the contracts number them. */
export const RelationshipStatus = {None: 0, Proposed: 1, Accepted: 2, Rejected: 3, Ended: 4} as const

/** Clients bound to one anvil. */
export type TestChain = ReturnType<typeof connectTestChain>

/** Public, wallet and test clients for an anvil at rpcUrl. */
export function connectTestChain(rpcUrl: string, chainId: number) {
  const chain: Chain = {
    id: chainId,
    name: 'anvil',
    nativeCurrency: {name: 'Ether', symbol: 'ETH', decimals: 18},
    rpcUrls: {default: {http: [rpcUrl]}},
  }
  const transport = http(rpcUrl)
  return {
    chain,
    publicClient: createPublicClient({chain, transport, pollingInterval: 50}),
    walletClient: createWalletClient({chain, transport}),
    testClient: createTestClient({chain, mode: 'anvil', transport}),
  }
}

/** A wallet client acting as `account` on the test chain, beside its public client (as deploy services take them). */
export function clientsFor(chain: TestChain, account: LocalAccount) {
  const transport = http(chain.chain.rpcUrls.default.http[0])
  return {
    walletClient: createWalletClient({account, chain: chain.chain, transport, pollingInterval: 50}),
    publicClient: chain.publicClient,
  }
}

/** Typed reads of a MedRec contract at `address` (viem getContract): `registrarRead(chain, a).participant([id])`. */
export const registrarRead = (chain: TestChain, address: Address) =>
  getContract({address, abi: registrarAbi, client: chain.publicClient}).read
export const relationshipRead = (chain: TestChain, address: Address) =>
  getContract({address, abi: relationshipAbi, client: chain.publicClient}).read
export const summaryRead = (chain: TestChain, address: Address) =>
  getContract({address, abi: summaryAbi, client: chain.publicClient}).read
export const consortiumRead = (chain: TestChain, address: Address) =>
  getContract({address, abi: consortiumAbi, client: chain.publicClient}).read

/** A revert decoded to its custom error. */
export class ContractRevert extends Error {
  // Plain fields, not parameter properties: Node's type stripping (bench) cannot erase those.
  readonly errorName: string
  readonly args: readonly unknown[]

  constructor(errorName: string, args: readonly unknown[]) {
    super(`reverted with ${errorName}(${args.map(String).join(', ')})`)
    this.errorName = errorName
    this.args = args
  }
}

/** A fresh random key with 100 ether. Its private key rides along for tests that decrypt. */
export async function newAccount(chain: TestChain): Promise<LocalAccount> {
  const privateKey = generatePrivateKey()
  const account = Object.assign(privateKeyToAccount(privateKey), {testPrivateKey: privateKey})
  await chain.testClient.setBalance({address: account.address, value: 10n ** 20n})
  return account
}

/** The private key of an account made by newAccount. */
export function privateKeyOf(account: LocalAccount): Hex {
  const key = (account as LocalAccount & {testPrivateKey?: Hex}).testPrivateKey
  if (!key) throw new Error(`${account.address} was not made by newAccount`)
  return key
}

/** A random opaque identity, standing in for deriveIdentity's keyed hash. */
export function randomIdentity(): Hex {
  return `0x${randomBytes(32).toString('hex')}`
}

/** The address of a fresh random key that is thrown away: an account nobody registered or funded. */
export function randomAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address
}

/** Sends `data` to `to` from `from` and returns the receipt; a revert throws ContractRevert. */
export async function send(chain: TestChain, from: LocalAccount, to: Address, data: Hex): Promise<TransactionReceipt> {
  // eth_call first: it returns the revert data, which viem's send path does not decode.
  try {
    await chain.publicClient.call({account: from, to, data})
  } catch (error) {
    throw decodeRevert(error)
  }
  const hash = await chain.walletClient.sendTransaction({account: from, to, data, chain: chain.chain})
  const receipt = await chain.publicClient.waitForTransactionReceipt({hash})
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted after a successful eth_call`)
  return receipt
}

type RegistrarWrite = ContractFunctionName<typeof registrarAbi, 'nonpayable'>

/** Calldata for a Registrar function, typed by the generated ABI. */
export function registrarCall<F extends RegistrarWrite>(
  functionName: F,
  args: ContractFunctionArgs<typeof registrarAbi, 'nonpayable', F>,
): Hex {
  return encodeFunctionData({abi: registrarAbi, functionName, args} as unknown as EncodeFunctionDataParameters<
    typeof registrarAbi
  >)
}

/** Turns a viem error into ContractRevert when it carries revert data MedRec's ABI knows. */
export function decodeRevert(error: unknown): unknown {
  if (!(error instanceof BaseError)) return error
  let data: Hex | undefined
  error.walk((e) => {
    const candidate = (e as {data?: unknown}).data
    if (typeof candidate === 'string' && candidate.startsWith('0x') && candidate.length >= 10) data = candidate as Hex
    return data !== undefined
  })
  if (data === undefined) return error
  try {
    const decoded = decodeErrorResult({abi: medrecAbi as unknown as Abi, data})
    return new ContractRevert(decoded.errorName, decoded.args ?? [])
  } catch {
    return error
  }
}

/** A participant: its key and its identity. */
export type Member = {account: LocalAccount; id: Hex}

/** A patient enrolled (or to be enrolled) at `provider` under `enrolmentRef`; `id` follows from both. */
export type Patient = Member & {provider: Hex; enrolmentRef: Hex}

/** A fresh key and a random enrolment reference at `provider`, with the identity the Registrar will derive. */
export async function newPatient(chain: TestChain, provider: Member | Hex): Promise<Patient> {
  const providerId = typeof provider === 'string' ? provider : provider.id
  const enrolmentRef = randomIdentity()
  return {
    account: await newAccount(chain),
    id: patientIdentity(providerId, enrolmentRef),
    provider: providerId,
    enrolmentRef,
  }
}

/** A fresh deployment with one account per role. */
export type MedrecWorld = {
  chain: TestChain
  registrar: Address
  relationshipImplementation: Address
  summaryImplementation: Address
  governance: LocalAccount
  /** Typed reads of the Registrar. */
  registrarRead: ReturnType<typeof registrarRead>
  /** Certified provider. */
  provider: Member
  /** A second certified provider. */
  otherProvider: Member
  /** Registered provider that governance decertified. */
  uncertifiedProvider: Member
  /** A lab, registered by `provider`. */
  lab: Member
  /** Enrolled at `provider`, by offer and confirmation. */
  patient: Patient
  /** Enrolled at `provider`, by its signed consent. */
  otherPatient: Patient
  /** Not registered; the patient may grant it access. */
  viewer: LocalAccount
  /** Not registered; nobody. */
  stranger: LocalAccount
  /** Sends a Registrar call from `from`. */
  registrarSend<F extends RegistrarWrite>(
    from: LocalAccount,
    functionName: F,
    args: ContractFunctionArgs<typeof registrarAbi, 'nonpayable', F>,
  ): Promise<TransactionReceipt>
}

/** Deploys MedRec and registers every role; each test gets its own world. */
export async function deployMedrecWorld(
  chain: TestChain,
  artifacts: Record<string, ContractArtifact>,
): Promise<MedrecWorld> {
  const governance = await newAccount(chain)
  const {addresses} = await deployMedrecContracts({...clientsFor(chain, governance), artifacts})
  const registrar = addresses.Registrar
  const registrarSend = async <F extends RegistrarWrite>(
    from: LocalAccount,
    functionName: F,
    args: ContractFunctionArgs<typeof registrarAbi, 'nonpayable', F>,
  ): Promise<TransactionReceipt> => send(chain, from, registrar, registrarCall(functionName, args))

  const member = async (): Promise<Member> => ({account: await newAccount(chain), id: randomIdentity()})
  const [provider, otherProvider, uncertifiedProvider, lab] = await Promise.all([
    member(),
    member(),
    member(),
    member(),
  ])
  const [patient, otherPatient] = await Promise.all([newPatient(chain, provider), newPatient(chain, provider)])
  const viewer = await newAccount(chain)
  const stranger = await newAccount(chain)

  await registrarSend(governance, 'registerProvider', [provider.id, provider.account.address])
  await registrarSend(governance, 'registerProvider', [otherProvider.id, otherProvider.account.address])
  await registrarSend(governance, 'registerProvider', [uncertifiedProvider.id, uncertifiedProvider.account.address])
  await registrarSend(governance, 'decertifyProvider', [uncertifiedProvider.id])
  await registrarSend(provider.account, 'registerSteward', [lab.id, ParticipantKind.Lab, lab.account.address])
  // One patient consents by transaction, the other by signature: both paths in every world.
  await registrarSend(provider.account, 'offerPatientRegistration', [patient.enrolmentRef, patient.account.address])
  await registrarSend(patient.account, 'confirmRegistration', [provider.id, patient.enrolmentRef])
  // Chain time, not the wall clock: tests move the chain's clock forward.
  const deadline = (await chainTime(chain)) + 3600n
  const signature = await signRegistration(chain, registrar, otherPatient, 0n, deadline)
  await registrarSend(provider.account, 'registerPatientWithSig', [
    otherPatient.enrolmentRef,
    otherPatient.account.address,
    deadline,
    signature,
  ])

  return {
    chain,
    registrar,
    relationshipImplementation: addresses.Relationship,
    summaryImplementation: addresses.Summary,
    governance,
    registrarRead: registrarRead(chain, registrar),
    provider,
    otherProvider,
    uncertifiedProvider,
    lab,
    patient,
    otherPatient,
    viewer,
    stranger,
    registrarSend,
  }
}

/** A role in a MedrecWorld, as tests name who they refuse. */
export type WorldRole =
  | 'governance'
  | 'patient'
  | 'other patient'
  | 'certified provider'
  | 'other provider'
  | 'uncertified provider'
  | 'lab steward'
  | 'viewer'
  | 'random address'

/** The account of every role in `w`, except the roles in `but`. */
export function everyRoleBut(w: MedrecWorld, ...but: WorldRole[]): [WorldRole, LocalAccount][] {
  const roles: [WorldRole, LocalAccount][] = [
    ['governance', w.governance],
    ['patient', w.patient.account],
    ['other patient', w.otherPatient.account],
    ['certified provider', w.provider.account],
    ['other provider', w.otherProvider.account],
    ['uncertified provider', w.uncertifiedProvider.account],
    ['lab steward', w.lab.account],
    ['viewer', w.viewer],
    ['random address', w.stranger],
  ]
  return roles.filter(([role]) => !but.includes(role))
}

/** The patient's EIP-712 consent to be enrolled at its provider, at its own address (signed by `signer`, if given). */
export async function signRegistration(
  chain: TestChain,
  registrar: Address,
  patient: Patient,
  nonce: bigint,
  deadline: bigint,
  signer: LocalAccount = patient.account,
): Promise<Hex> {
  return signer.signTypedData({
    domain: medrecConsentDomain(chain.chain.id, registrar),
    types: medrecConsentTypes,
    primaryType: 'PatientRegistration',
    message: {
      provider: patient.provider,
      enrolmentRef: patient.enrolmentRef,
      account: patient.account.address,
      nonce,
      deadline,
    },
  })
}

/** The patient's EIP-712 consent to accept one round of a relationship. */
export async function signAcceptance(
  chain: TestChain,
  registrar: Address,
  signer: LocalAccount,
  message: {relationship: Address; round: number; nonce: bigint; deadline: bigint},
): Promise<Hex> {
  return signer.signTypedData({
    domain: medrecConsentDomain(chain.chain.id, registrar),
    types: medrecConsentTypes,
    primaryType: 'RelationshipAcceptance',
    message,
  })
}

/** The new key's EIP-712 completion of a pending recovery of patient `id` to itself (signed by `signer`, if given). */
export async function signRecovery(
  chain: TestChain,
  registrar: Address,
  newKey: LocalAccount,
  id: Hex,
  nonce: bigint,
  deadline: bigint,
  signer: LocalAccount = newKey,
): Promise<Hex> {
  return signer.signTypedData({
    domain: medrecConsentDomain(chain.chain.id, registrar),
    types: medrecConsentTypes,
    primaryType: 'PatientRecovery',
    message: {id, newAccount: newKey.address, nonce, deadline},
  })
}

/** `steward` proposes to `patient`; returns the pair's Relationship address. */
export async function proposeRelationship(
  world: MedrecWorld,
  steward: Member,
  patient: Member,
  endpoint = 'https://gatekeeper.example/fhir',
): Promise<Address> {
  await world.registrarSend(steward.account, 'propose', [patient.id, endpoint, randomIdentity(), randomIdentity()])
  return world.registrarRead.relationshipOf([patient.id, steward.id])
}

/** A relationship between world.patient and world.provider that the patient accepted. */
export async function acceptedRelationship(world: MedrecWorld): Promise<Address> {
  const relationship = await proposeRelationship(world, world.provider, world.patient)
  await world.registrarSend(world.patient.account, 'accept', [relationship])
  return relationship
}

/** The chain's latest block timestamp, in seconds. */
export async function chainTime(chain: TestChain): Promise<bigint> {
  return (await chain.publicClient.getBlock()).timestamp
}

/** Moves the chain's clock forward by `seconds` and mines a block at the new time. */
export async function advanceChainTime(chain: TestChain, seconds: bigint): Promise<void> {
  await chain.testClient.increaseTime({seconds: Number(seconds)})
  await chain.testClient.mine({blocks: 1})
}
