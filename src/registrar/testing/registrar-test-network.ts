// Test support: a real network directory (medrec.yaml, genesis, keystores, state.json) whose
// RPC node is an anvil with MedRec deployed, so registrar services run exactly as the CLI
// runs them: opening the directory, unlocking named keys, sending through the RPC URL.
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Hex, LocalAccount} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'

import {patientIdentity} from '../../contracts/derive-identity.js'
import {deployMedrecWorld, randomIdentity, type MedrecWorld} from '../../contracts/testing/medrec-test-world.js'
import {useMedrecChain} from '../../contracts/testing/test-context.js'
import {initNetwork} from '../../network/init-network.js'
import {ensureAccountKey} from '../../workspace/network-keys.js'
import {networkPaths, unlockNodeKey} from '../../workspace/network-files.js'
import {updateNetworkState} from '../../workspace/network-state.js'

/** Not a well-known chain id (network init refuses anvil's 31337), set on anvil to match medrec.yaml. */
export const testNetworkChainId = 7_357_001

/** One anvil (started with the directory's chain id) and one compile per test file. */
export function useRegistrarTestChain(): ReturnType<typeof useMedrecChain> {
  return useMedrecChain({chainId: testNetworkChainId})
}

/** A network directory on the test chain, a fresh MedRec deployment, and named keys in the directory. */
export type RegistrarTestNetwork = {
  dir: string
  world: MedrecWorld
  /** The directory's named keys, unlocked, for acting outside the services. */
  keys: Record<string, LocalAccount>
}

/**
 * Initialises a directory (light KDF) whose RPC is the test anvil, deploys MedRec into it,
 * and creates a key per name: funded with 100 ether unless listed in `unfunded`.
 */
export async function registrarTestNetwork(
  test: ReturnType<typeof useRegistrarTestChain>,
  keyNames: string[],
  options: {unfunded?: string[]} = {},
): Promise<RegistrarTestNetwork> {
  const chain = test.chain()
  const dir = await mkdtemp(join(tmpdir(), 'medrec-registrar-'))
  const rpcPort = Number(new URL(chain.chain.rpcUrls.default.http[0]!).port)
  await initNetwork({dir, sealers: 1, lightKdf: true, chainId: testNetworkChainId, rpcPort})
  const world = await deployMedrecWorld(chain, test.compiled().artifacts)
  const paths = networkPaths(dir)
  const contracts = {
    Registrar: world.registrar,
    Relationship: world.relationshipImplementation,
    Summary: world.summaryImplementation,
  }
  const state = await updateNetworkState(paths, (current) => current && {...current, contracts})
  if (!state) throw new Error(`${dir} has no state after network init`)
  const keys: Record<string, LocalAccount> = {}
  for (const name of keyNames) {
    await ensureAccountKey(paths, name, true)
    const account = privateKeyToAccount((await unlockNodeKey(paths, name)).privateKey)
    if (!options.unfunded?.includes(name)) {
      await chain.testClient.setBalance({address: account.address, value: 10n ** 20n})
    }
    keys[name] = account
  }
  return {dir, world, keys}
}

/** Enrols the key `account` as a patient of the world's provider (offer, then the patient's confirmation). */
export async function enrolTestPatient(world: MedrecWorld, account: LocalAccount): Promise<Hex> {
  const enrolmentRef = randomIdentity()
  await world.registrarSend(world.provider.account, 'offerPatientRegistration', [enrolmentRef, account.address])
  await world.registrarSend(account, 'confirmRegistration', [world.provider.id, enrolmentRef])
  return patientIdentity(world.provider.id, enrolmentRef)
}
