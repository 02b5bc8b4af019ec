import {describe, expect, it} from 'vitest'
import {privateKeyToAddress} from 'viem/accounts'

import {errorCodes} from '../errors/error-codes.js'
import {decryptKeystoreV3, encryptKeystoreV3, lightScrypt, standardScrypt} from './keystore-v3.js'
import {enodeUrl, generateKeyPassword, generateNodeKey, nodeIdFromNodeKey} from './node-key.js'

const privateKey = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d' as const

describe('keystore v3', () => {
  it('decrypts the scrypt test vector of the Web3 Secret Storage definition (the format geth reads)', async () => {
    const vector = {
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: {iv: '83dbcc02d8ccb40e466191a123791e0e'},
        ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
        kdf: 'scrypt',
        kdfparams: {
          dklen: 32,
          n: 262_144,
          r: 1,
          p: 8,
          salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19',
        },
        mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
      },
      id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
      version: 3,
    }
    const {privateKey: decrypted} = await decryptKeystoreV3(vector, 'testpassword')
    expect(decrypted).toBe(privateKey)
  })

  it('round-trips a key with the light settings', async () => {
    const password = generateKeyPassword()
    const keystore = await encryptKeystoreV3(privateKey, password, lightScrypt)
    expect(keystore.crypto.kdfparams).toMatchObject({n: 4096, r: 8, p: 6, dklen: 32})
    expect(keystore.address).toBe(privateKeyToAddress(privateKey).slice(2).toLowerCase())
    expect(JSON.stringify(keystore)).not.toContain(privateKey.slice(2))
    const opened = await decryptKeystoreV3(JSON.parse(JSON.stringify(keystore)), password)
    expect(opened).toEqual({privateKey, address: privateKeyToAddress(privateKey)})
  })

  it("uses geth's standard scrypt settings (N=2^18) by default", async () => {
    const keystore = await encryptKeystoreV3(privateKey, 'pw')
    expect(keystore.crypto.kdfparams).toMatchObject({n: standardScrypt.n, r: 8, p: 1})
    expect((await decryptKeystoreV3(keystore, 'pw')).privateKey).toBe(privateKey)
  })

  it('refuses a wrong password with KEYSTORE_WRONG_PASSWORD rather than returning a garbage key', async () => {
    const keystore = await encryptKeystoreV3(privateKey, 'right', lightScrypt)
    await expect(decryptKeystoreV3(keystore, 'wrong')).rejects.toMatchObject({code: errorCodes.KEYSTORE_WRONG_PASSWORD})
  })

  it('refuses a file that is not a scrypt keystore v3', async () => {
    await expect(decryptKeystoreV3({version: 1}, 'x')).rejects.toMatchObject({code: errorCodes.KEYSTORE_INVALID})
    await expect(decryptKeystoreV3(undefined, 'x')).rejects.toMatchObject({code: errorCodes.KEYSTORE_INVALID})
  })
})

describe('node keys', () => {
  it('derives the enode id as the 64-byte uncompressed public key', () => {
    const nodeKey = generateNodeKey()
    expect(nodeKey).toMatch(/^[0-9a-f]{64}$/)
    expect(nodeIdFromNodeKey(nodeKey)).toMatch(/^[0-9a-f]{128}$/)
    expect(enodeUrl(nodeKey, '10.0.0.2', 30_303)).toBe(`enode://${nodeIdFromNodeKey(nodeKey)}@10.0.0.2:30303`)
  })

  it('matches a known secp256k1 public key', () => {
    // The generator point: private key 1.
    expect(nodeIdFromNodeKey('1'.padStart(64, '0'))).toBe(
      '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798' +
        '483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8',
    )
  })

  it('generates distinct random passwords', () => {
    expect(generateKeyPassword()).not.toBe(generateKeyPassword())
    expect(generateKeyPassword()).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})

describe('keystore v3 from other tools', () => {
  it('refuses scrypt parameters that would exhaust memory', async () => {
    const keystore = await encryptKeystoreV3(privateKey, 'pw', lightScrypt)
    keystore.crypto.kdfparams.n = 2 ** 30
    await expect(decryptKeystoreV3(keystore, 'pw')).rejects.toMatchObject({code: errorCodes.KEYSTORE_INVALID})
  })
})
