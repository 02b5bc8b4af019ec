import {readdir} from 'node:fs/promises'

import {getAddress, isAddress, parseEther, type Address, type Hash} from 'viem'

import {networkClients, networkWalletClient} from '../chain/network-clients.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {deployerKeyName, ensureAccountKey, readKeystoreAddress, rpcNodeName} from '../network/init-network.js'
import type {LoadedNetwork} from '../network/load-network.js'
import type {NetworkPaths} from '../network/network-files.js'

const accountNamePattern = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/

/** Names that belong to the network's own nodes and cannot be used for accounts. */
function reservedNames(network: LoadedNetwork): Set<string> {
  return new Set([...network.config.sealers.map((s) => s.name), rpcNodeName, deployerKeyName, 'identity'])
}

export type CreateAccountResult = {name: string; address: Address; created: boolean; fundedWei: string; fundingTx: Hash | null}

/**
 * Creates a named account (keystore v3 and password under .medrec/keys/NAME) and funds it
 * from the deployer so it can pay for gas. Re-running keeps the key and tops up nothing.
 */
export async function createAccount(options: {dir: string; name: string; fundEther: string; lightKdf: boolean}): Promise<CreateAccountResult> {
  if (!accountNamePattern.test(options.name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${options.name}" is not a valid account name.`, {hint: 'Use 2-32 lowercase letters, digits or dashes, starting with a letter.'})
  }
  let fundWei: bigint
  try {
    fundWei = parseEther(options.fundEther)
  } catch (error) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--fund "${options.fundEther}" is not an amount of ether.`, {hint: 'Write it like 1 or 0.25.', cause: error})
  }
  const {network, chain, publicClient} = await networkClients(options.dir)
  if (reservedNames(network).has(options.name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${options.name}" is the name of one of the network's own keys.`, {hint: 'Choose another account name.'})
  }
  const {address, created} = await ensureAccountKey(network.paths, options.name, options.lightKdf)
  let fundingTx: Hash | null = null
  if (created && fundWei > 0n) {
    const deployer = await networkWalletClient(network, chain, deployerKeyName)
    fundingTx = await deployer.sendTransaction({to: address, value: fundWei})
    const receipt = await publicClient.waitForTransactionReceipt({hash: fundingTx, timeout: 120_000})
    if (receipt.status !== 'success') throw new MedrecError(errorCodes.RPC_FAILED, `Funding ${options.name} failed (transaction ${fundingTx}).`)
  }
  return {name: options.name, address, created, fundedWei: (created ? fundWei : 0n).toString(), fundingTx}
}

/** The named accounts of a network directory (every key with a keystore, the nodes' included). */
export async function listAccounts(paths: NetworkPaths): Promise<{name: string; address: Address}[]> {
  let names: string[]
  try {
    names = await readdir(paths.keysDir)
  } catch {
    return []
  }
  const accounts: {name: string; address: Address}[] = []
  for (const name of names.sort()) {
    const address = await readKeystoreAddress(paths, name).catch(() => undefined)
    if (address) accounts.push({name, address})
  }
  return accounts
}

/** An account given as a 0x address or as the name of a key in the directory. */
export async function resolveAccount(paths: NetworkPaths, reference: string, flag: string): Promise<Address> {
  if (isAddress(reference, {strict: false})) return getAddress(reference)
  if (!accountNamePattern.test(reference)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${reference}" is neither an address nor an account name.`, {hint: 'Give a 0x address, or a name from `medrec account list`.'})
  }
  return readKeystoreAddress(paths, reference)
}
