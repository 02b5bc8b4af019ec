import {readdir} from 'node:fs/promises'

import {getAddress, isAddress, parseEther, type Address, type Chain, type Hash} from 'viem'

import {
  networkClients,
  networkWalletClient,
  type NetworkPublicClient,
  type NetworkWalletClient,
} from '../workspace/network-clients.js'
import {nodeNamePattern} from '../config/network-config.js'
import {explainContractError} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {deployerKeyName, ensureAccountKey, readKeystoreAddress, rpcNodeName} from '../workspace/network-keys.js'
import {profileSettings} from '../config/network-profile.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import type {NetworkPaths} from '../workspace/network-files.js'

/** Names that belong to the network's own nodes and cannot be used for accounts. */
function reservedNames(network: LoadedNetwork): Set<string> {
  return new Set([...network.config.sealers.map((s) => s.name), rpcNodeName, deployerKeyName, 'identity'])
}

export type CreateAccountResult = {
  name: string
  address: Address
  created: boolean
  fundedWei: string
  fundingTx: Hash | null
}

function parseAmount(text: string, flag: string): bigint {
  let wei: bigint
  try {
    wei = parseEther(text.trim())
  } catch (error) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${text}" is not an amount of ether.`, {
      hint: 'Write it like 1 or 0.25.',
      cause: error,
    })
  }
  if (wei < 0n) throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} cannot be negative.`)
  return wei
}

/** `wallet` sends `wei` to `to` and waits until it is mined. */
export async function sendEther(
  wallet: NetworkWalletClient,
  publicClient: NetworkPublicClient,
  to: Address,
  wei: bigint,
): Promise<Hash> {
  try {
    const hash = await wallet.sendTransaction({to, value: wei})
    const receipt = await publicClient.waitForTransactionReceipt({hash, timeout: 120_000})
    if (receipt.status !== 'success')
      throw new MedrecError(errorCodes.RPC_FAILED, `Funding ${to} failed (transaction ${hash} reverted).`)
    return hash
  } catch (error) {
    throw explainContractError(error, `fund ${to} from ${wallet.account.address}`, wallet.account.address)
  }
}

/** The deployer sends `wei` to `to` and waits until it is mined. */
export async function sendFromDeployer(
  network: LoadedNetwork,
  chain: Chain,
  publicClient: NetworkPublicClient,
  to: Address,
  wei: bigint,
): Promise<Hash> {
  return sendEther(await networkWalletClient(network, chain, deployerKeyName), publicClient, to, wei)
}

/**
 * Creates a named account (keystore v3 and password under .medrec/keys/NAME) and funds it
 * from the deployer so it can pay for gas. Re-running keeps the key, and funds it if an
 * earlier run created it but could not fund it (its balance is still zero).
 */
export async function createAccount(options: {
  dir: string
  name: string
  fundEther: string
  lightKdf: boolean
}): Promise<CreateAccountResult> {
  if (!nodeNamePattern.test(options.name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${options.name}" is not a valid account name.`, {
      hint: 'Use 2-32 lowercase letters, digits or dashes, starting with a letter.',
    })
  }
  const fundWei = parseAmount(options.fundEther, '--fund')
  const {network, chain, publicClient} = await networkClients(options.dir)
  if (reservedNames(network).has(options.name)) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `"${options.name}" is the name of one of the network's own keys.`,
      {hint: 'Choose another account name.'},
    )
  }
  // A throwaway network's keys are all light (its profile), whatever the flag.
  const lightKdf = options.lightKdf || profileSettings(network.config.profile).lightKdf
  const {address, created} = await ensureAccountKey(network.paths, options.name, lightKdf)
  const unfunded = fundWei > 0n && (created || (await publicClient.getBalance({address})) === 0n)
  const fundingTx = unfunded ? await sendFromDeployer(network, chain, publicClient, address, fundWei) : null
  return {name: options.name, address, created, fundedWei: (unfunded ? fundWei : 0n).toString(), fundingTx}
}

/** The deployer sends ether to an account (a key name or an address) so it can pay for gas. */
export async function fundAccount(options: {
  dir: string
  account: string
  amountEther: string
}): Promise<{account: Address; fundedWei: string; fundingTx: Hash; balanceWei: string}> {
  const wei = parseAmount(options.amountEther, '--amount')
  if (wei === 0n) throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--amount must be more than 0.')
  const {network, chain, publicClient} = await networkClients(options.dir)
  const account = await resolveAccount(network.paths, options.account, 'ACCOUNT')
  const fundingTx = await sendFromDeployer(network, chain, publicClient, account, wei)
  return {
    account,
    fundedWei: wei.toString(),
    fundingTx,
    balanceWei: (await publicClient.getBalance({address: account})).toString(),
  }
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
  const known = nodeNamePattern.test(reference)
    ? (await listAccounts(paths)).find((a) => a.name === reference)
    : undefined
  if (!known) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${flag} "${reference}" is neither an address nor a key of this network directory.`,
      {
        hint: 'Give a 0x address, or a name from `medrec account list` (create one with `medrec account create NAME`).',
      },
    )
  }
  return known.address
}
