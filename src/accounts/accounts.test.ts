import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {lightScrypt} from '../keys/keystore-v3.js'
import {initNetwork} from '../network/init-network.js'
import {networkPaths} from '../workspace/network-files.js'
import {createAccount} from './accounts.js'

describe('createAccount', () => {
  it("encrypts a throwaway network's new key with light scrypt unasked: its profile's keys are light", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-accounts-'))
    await initNetwork({dir, sealers: 1, profile: 'throwaway'})
    await createAccount({dir, name: 'alice', fundEther: '0', lightKdf: false})
    const keystore = JSON.parse(await readFile(networkPaths(dir).node('alice').keystore, 'utf8'))
    expect(keystore.crypto.kdfparams.n).toBe(lightScrypt.n)
  })
})
