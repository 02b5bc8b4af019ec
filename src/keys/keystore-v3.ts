import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  randomUUID,
  scrypt as scryptCallback,
  timingSafeEqual,
} from 'node:crypto'
import {promisify} from 'node:util'

import {scryptAsync} from '@noble/hashes/scrypt'
import {bytesToHex, hexToBytes, keccak256, type Address, type Hex} from 'viem'
import {privateKeyToAddress} from 'viem/accounts'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

const scrypt = promisify(scryptCallback) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: {N: number; r: number; p: number; maxmem: number},
) => Promise<Buffer>

/** geth's StandardScryptN/P: about 256 MiB and a second of work per unlock. */
export const standardScrypt = {n: 1 << 18, r: 8, p: 1} as const
/** geth's LightScryptN/P: for throwaway chains only (tests, CI). */
export const lightScrypt = {n: 1 << 12, r: 8, p: 6} as const

export type ScryptParams = {n: number; r: number; p: number}

export type KeystoreV3 = {
  address: string
  crypto: {
    cipher: 'aes-128-ctr'
    ciphertext: string
    cipherparams: {iv: string}
    kdf: 'scrypt'
    kdfparams: {dklen: 32; n: number; r: number; p: number; salt: string}
    mac: string
  }
  id: string
  version: 3
}

/** Refuse keystores whose scrypt would need more than this (a hostile file could ask for terabytes). */
const maxScryptMemoryBytes = 2 ** 30

async function deriveKey(password: string, salt: Buffer, params: ScryptParams, source: string): Promise<Buffer> {
  const {n, r, p} = params
  const memory = 128 * n * r + 128 * r * p
  if (
    ![n, r, p].every((v) => Number.isSafeInteger(v) && v > 0) ||
    (n & (n - 1)) !== 0 ||
    memory > maxScryptMemoryBytes
  ) {
    throw new MedrecError(
      errorCodes.KEYSTORE_INVALID,
      `${source} asks for scrypt parameters this tool refuses (n=${n}, r=${r}, p=${p}).`,
      {
        hint: 'n must be a power of two and the work must fit in 1 GiB; geth writes n=262144, r=8, p=1.',
      },
    )
  }
  const secret = Buffer.from(password.normalize('NFKC'), 'utf8')
  // OpenSSL enforces RFC 7914's N < 2^(16r); geth (Go's x/crypto/scrypt) does not, so
  // keystores outside that bound are derived with @noble/hashes, which matches Go's.
  if (Math.log2(n) < 16 * r) return scrypt(secret, salt, 32, {N: n, r, p, maxmem: memory + 32 * 1024 * 1024})
  return Buffer.from(await scryptAsync(secret, salt, {N: n, r, p, dkLen: 32, maxmem: memory + 32 * 1024 * 1024}))
}

function keystoreMac(derivedKey: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.from(hexToBytes(keccak256(Buffer.concat([derivedKey.subarray(16, 32), ciphertext]))))
}

/** Encrypts a secp256k1 private key as a Web3 Secret Storage (keystore v3) file that geth reads. */
export async function encryptKeystoreV3(
  privateKey: Hex,
  password: string,
  params: ScryptParams = standardScrypt,
): Promise<KeystoreV3> {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const derivedKey = await deriveKey(password, salt, params, 'the new keystore')
  const cipher = createCipheriv('aes-128-ctr', derivedKey.subarray(0, 16), iv)
  const ciphertext = Buffer.concat([cipher.update(hexToBytes(privateKey)), cipher.final()])
  return {
    address: privateKeyToAddress(privateKey).slice(2).toLowerCase(),
    crypto: {
      cipher: 'aes-128-ctr',
      ciphertext: ciphertext.toString('hex'),
      cipherparams: {iv: iv.toString('hex')},
      kdf: 'scrypt',
      kdfparams: {dklen: 32, n: params.n, r: params.r, p: params.p, salt: salt.toString('hex')},
      mac: keystoreMac(derivedKey, ciphertext).toString('hex'),
    },
    id: randomUUID(),
    version: 3,
  }
}

/** Decrypts a keystore v3 file; a wrong password fails with KEYSTORE_WRONG_PASSWORD, never a garbage key. */
export async function decryptKeystoreV3(
  keystore: unknown,
  password: string,
  source = 'keystore',
): Promise<{privateKey: Hex; address: Address}> {
  const k = keystore as Partial<KeystoreV3> | undefined
  const kdf = k?.crypto?.kdfparams
  if (
    k?.version !== 3 ||
    k.crypto?.kdf !== 'scrypt' ||
    k.crypto.cipher !== 'aes-128-ctr' ||
    !kdf ||
    typeof kdf.salt !== 'string'
  ) {
    throw new MedrecError(errorCodes.KEYSTORE_INVALID, `${source} is not a scrypt/aes-128-ctr keystore v3 file.`, {
      hint: 'Restore the file from your backup; the tool only reads keystores it (or geth) wrote.',
    })
  }
  const ciphertext = Buffer.from(k.crypto.ciphertext, 'hex')
  const derivedKey = await deriveKey(password, Buffer.from(kdf.salt, 'hex'), {n: kdf.n, r: kdf.r, p: kdf.p}, source)
  const expectedMac = Buffer.from(k.crypto.mac, 'hex')
  const actualMac = keystoreMac(derivedKey, ciphertext)
  if (expectedMac.length !== actualMac.length || !timingSafeEqual(expectedMac, actualMac)) {
    throw new MedrecError(errorCodes.KEYSTORE_WRONG_PASSWORD, `The password does not open ${source}.`, {
      hint: 'Check that the password file belongs to this key and was not edited (a trailing newline is ignored).',
    })
  }
  const decipher = createDecipheriv(
    'aes-128-ctr',
    derivedKey.subarray(0, 16),
    Buffer.from(k.crypto.cipherparams!.iv, 'hex'),
  )
  const privateKey = bytesToHex(Buffer.concat([decipher.update(ciphertext), decipher.final()]))
  return {privateKey, address: privateKeyToAddress(privateKey)}
}
