import {mkdir} from 'node:fs/promises'

import {getAddress, type Address} from 'viem'
import {generatePrivateKey, privateKeyToAddress} from 'viem/accounts'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {encryptKeystoreV3, lightScrypt, standardScrypt} from '../keys/keystore-v3.js'
import {generateKeyPassword, generateNodeKey} from '../keys/node-key.js'
import {pathExists, readKeyFile, writeNewPrivateFile, type NetworkPaths} from './network-files.js'

/** The keyless JSON-RPC node and the consortium's deployer account have key files too. */
export const rpcNodeName = 'rpc'
export const deployerKeyName = 'deployer'

/**
 * Creates a keystore and its random password for `name` unless a keystore exists.
 * Existing keys are never overwritten: losing a sealer's key means losing its vote.
 */
export async function ensureAccountKey(
  paths: NetworkPaths,
  name: string,
  lightKdf: boolean,
): Promise<{address: Address; created: boolean}> {
  const files = paths.node(name)
  await mkdir(files.dir, {recursive: true, mode: 0o700})
  if (await pathExists(files.keystore)) return {address: await readKeystoreAddress(paths, name), created: false}
  if (await pathExists(files.password)) {
    throw new MedrecError(
      errorCodes.KEY_FILE_MISSING,
      `${name}: ${files.password} exists but its keystore ${files.keystore} does not.`,
      {
        hint: 'Restore the keystore from your backup, or remove the orphaned password file to create a new key.',
      },
    )
  }
  const password = generateKeyPassword()
  const privateKey = generatePrivateKey()
  const keystore = await encryptKeystoreV3(privateKey, password, lightKdf ? lightScrypt : standardScrypt)
  // Password first: a keystore without its password would be unusable.
  await writeNewPrivateFile(files.password, password)
  await writeNewPrivateFile(files.keystore, `${JSON.stringify(keystore)}\n`)
  return {address: privateKeyToAddress(privateKey), created: true}
}

/** A node's devp2p key, plus (for sealers and the deployer) its account key. */
export async function ensureNodeKeys(
  paths: NetworkPaths,
  name: string,
  options: {account: boolean; lightKdf: boolean},
): Promise<{address?: Address; created: boolean}> {
  const files = paths.node(name)
  await mkdir(files.dir, {recursive: true, mode: 0o700})
  const nodeKeyCreated = await writeNewPrivateFile(files.nodeKey, generateNodeKey())
  if (!options.account) return {created: nodeKeyCreated}
  return ensureAccountKey(paths, name, options.lightKdf)
}

/** A key's address as recorded in its keystore (no decryption needed). */
export async function readKeystoreAddress(paths: NetworkPaths, name: string): Promise<Address> {
  const text = await readKeyFile(paths.node(name).keystore, name)
  let address: unknown
  try {
    address = (JSON.parse(text) as {address?: unknown}).address
  } catch {
    address = undefined
  }
  if (typeof address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(address)) {
    throw new MedrecError(
      errorCodes.KEYSTORE_INVALID,
      `${name}: ${paths.node(name).keystore} is not a keystore v3 file with an address.`,
      {
        hint: 'Restore it from your backup.',
      },
    )
  }
  return getAddress(address.startsWith('0x') ? address : `0x${address}`)
}
