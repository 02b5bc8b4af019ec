// Test support: a real network directory (medrec.yaml, keystores, state.json) whose RPC
// node is an anvil, with the MedRec contracts deployed and a Consortium of its sealers
// governing the Registrar, as `medrec contracts deploy` leaves it. The consortium services
// then run unchanged against it; only what needs Clique or Docker (sealers) is out of reach.
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {getAddress, type Address, type Hex, type LocalAccount} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {expect} from 'vitest'

import type {ContractArtifact, MedrecCompileResult} from '../../contracts/compile-contracts.js'
import {deployMedrecContracts} from '../../contracts/deploy-contracts.js'
import {clientsFor, registrarCall, send, type TestChain} from '../../contracts/testing/medrec-test-world.js'
import {useMedrecChain} from '../../contracts/testing/test-context.js'
import type {ContainerEngine} from '../../docker/container-engine.js'
import {DockerodeEngine} from '../../docker/dockerode-engine.js'
import type {MedrecError} from '../../errors/medrec-error.js'
import {refusal} from '../../errors/testing/refusal.js'
import {initNetwork} from '../../network/init-network.js'
import {deployerKeyName, ensureAccountKey} from '../../workspace/network-keys.js'
import {networkPaths, unlockNodeKey} from '../../workspace/network-files.js'
import {updateNetworkState} from '../../workspace/network-state.js'
import {addProvider, type AddProviderReturnType} from '../add-provider.js'
import {establishConsortium} from '../deploy-consortium.js'
import {providerIdentity} from '../provider-identity.js'

export type ConsortiumNetwork = {
  dir: string
  chain: TestChain
  registrar: Address
  consortium: Address
  /** Every deployed contract, by name. */
  addresses: Record<'Registrar' | 'Relationship' | 'Summary' | 'Consortium', Address>
  /** The founding sealing providers: sealer-1…sealer-N. */
  sealers: {name: string; address: Address; id: Hex}[]
  /** A key of the directory, by name, as a viem account (for acting outside the services). */
  account(name: string): Promise<LocalAccount>
  /** Creates a funded key in the directory that is nobody on chain. */
  newKey(name: string): Promise<Address>
  /** The chain's head, uncached (anvil mines one block per transaction: a changed head means something was sent). */
  head(): Promise<bigint>
}

const funds = 10n ** 21n

/**
 * The chain id to start anvil with (`useMedrecChain({chainId})`): a network directory refuses
 * anvil's default 31337, which belongs to Hardhat and anvil themselves.
 */
export const consortiumTestChainId = 1_337_001

/**
 * One anvil (with consortiumTestChainId) and one compile for the calling test file, as useMedrecChain;
 * `network()` sets up a fresh consortium network directory on that anvil for each test.
 */
export function useConsortiumChain(): {
  network(options?: {sealers?: number}): Promise<ConsortiumNetwork>
  compiled(): MedrecCompileResult
} {
  const ctx = useMedrecChain({chainId: consortiumTestChainId})
  return {
    network: (options) => consortiumNetwork(ctx.chain(), ctx.compiled().artifacts, options),
    compiled: ctx.compiled,
  }
}

/** Initialises a network directory on `chain` (an anvil) and deploys MedRec and its Consortium there. */
export async function consortiumNetwork(
  chain: TestChain,
  artifacts: Record<string, ContractArtifact>,
  options: {sealers?: number} = {},
): Promise<ConsortiumNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-consortium-'))
  const rpcUrl = new URL(chain.chain.rpcUrls.default.http[0]!)
  const init = await initNetwork({
    dir,
    sealers: options.sealers ?? 3,
    chainId: chain.chain.id,
    rpcPort: Number(rpcUrl.port),
    lightKdf: true,
  })
  const paths = networkPaths(dir)
  const account = async (name: string): Promise<LocalAccount> =>
    privateKeyToAccount((await unlockNodeKey(paths, name)).privateKey)
  for (const address of [init.deployer, ...init.sealers.map((s) => s.address)]) {
    await chain.testClient.setBalance({address, value: funds})
  }

  const deployer = clientsFor(chain, await account(deployerKeyName))
  const {addresses} = await deployMedrecContracts({...deployer, artifacts})
  const sealers = init.sealers.map((s) => ({
    name: s.name,
    address: getAddress(s.address),
    id: providerIdentity(s.name),
  }))
  const {consortium} = await establishConsortium({
    ...deployer,
    registrar: addresses.Registrar,
    artifact: artifacts.Consortium!,
    founders: sealers.map((s) => ({id: s.id, account: s.address})),
  })
  const contracts = {...addresses, Consortium: consortium}
  const state = await updateNetworkState(paths, (current) => current && {...current, contracts})
  if (!state) throw new Error(`${dir} has no state.json after init`)

  return {
    dir,
    chain,
    registrar: addresses.Registrar,
    consortium,
    addresses: {...addresses, Consortium: consortium},
    sealers,
    account,
    newKey: async (name) => {
      const {address} = await ensureAccountKey(paths, name, true)
      await chain.testClient.setBalance({address, value: funds})
      return address
    },
    head: () => chain.publicClient.getBlockNumber({cacheTime: 0}),
  }
}

/** Enrols a fresh patient key at provider `providerKey` (offer, then the patient's confirmation). */
export async function enrolPatient(
  net: ConsortiumNetwork,
  providerKey: string,
  patient: LocalAccount,
  enrolmentRef: Hex,
): Promise<void> {
  const provider = await net.account(providerKey)
  const offer = registrarCall('offerPatientRegistration', [enrolmentRef, patient.address])
  await send(net.chain, provider, net.registrar, offer)
  const confirm = registrarCall('confirmRegistration', [providerIdentity(providerKey), enrolmentRef])
  await send(net.chain, patient, net.registrar, confirm)
}

/** The engine for provider services acting on providers without a node: those never reach Docker. */
export const nodelessEngine: ContainerEngine = new DockerodeEngine()

/**
 * Adds `name`, a provider without a node, with the votes of `voteAs` (default: every sealer).
 * Fewer than a majority leave the admission awaiting votes.
 */
export function addNodelessProvider(
  net: ConsortiumNetwork,
  name: string,
  voteAs?: string[],
): Promise<AddProviderReturnType> {
  return addProvider({dir: net.dir, engine: nodelessEngine, name, sealer: false, voteAs, lightKdf: true})
}

/** The MedrecError `action` refuses with, having sent nothing (the chain's head did not move). */
export async function refusalSendingNothing(
  net: ConsortiumNetwork,
  action: () => Promise<unknown>,
): Promise<MedrecError> {
  const head = await net.head()
  const error = await refusal(action())
  expect(await net.head()).toBe(head)
  return error
}
