import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {expect} from 'vitest'

import {decryptKeystoreV3} from '../../src/keys/keystore-v3.js'
import {readAllFiles} from '../../src/member/testing/dir-snapshot.js'

export type ProviderSecrets = {name: string; ciphertext: string; password: string; nodeKey: string; privateKey: string}

/** A provider's secrets as they sit in its workspace: keystore ciphertext, password, node key, private key. */
export async function providerSecrets(dir: string, name: string): Promise<ProviderSecrets> {
  const keys = join(dir, '.medrec/keys', name)
  const keystore = await readFile(join(keys, 'keystore.json'), 'utf8')
  const password = (await readFile(join(keys, 'password'), 'utf8')).trim()
  const nodeKey = (await readFile(join(keys, 'nodekey'), 'utf8')).trim()
  const {privateKey} = await decryptKeystoreV3(JSON.parse(keystore), password)
  const ciphertext = (JSON.parse(keystore) as {crypto: {ciphertext: string}}).crypto.ciphertext
  return {name, ciphertext, password, nodeKey, privateKey: privateKey.slice(2)}
}

/** Raw bytes as they are; text in any letter case (hex may be written either way). */
export function holds(bytes: Buffer, needle: string | Buffer): boolean {
  return typeof needle === 'string'
    ? bytes.toString('latin1').toLowerCase().includes(needle.toLowerCase())
    : bytes.includes(needle)
}

/**
 * Fails when a member workspace holds any byte of another provider's keystore, password, node key
 * or private key, or when a card or bundle under `root` holds any provider's secret or `extra` (the
 * identity key). The scan is shown to work: each workspace's own secrets are found in it.
 */
export async function assertNoForeignSecrets(
  root: string,
  members: {dir: string; name: string}[],
  extra: (string | Buffer)[] = [],
): Promise<void> {
  const secrets = await Promise.all(members.map((m) => providerSecrets(m.dir, m.name)))
  for (const [i, {dir}] of members.entries()) {
    const files = await readAllFiles(dir)
    for (const secret of [secrets[i]!.ciphertext, secrets[i]!.password, secrets[i]!.nodeKey])
      expect(files.some((f) => holds(f.bytes, secret))).toBe(true)
    for (const other of secrets.filter((_, j) => j !== i)) {
      expect(files.map((f) => f.path).filter((p) => p.includes(`/keys/${other.name}/`))).toEqual([])
      for (const {path, bytes} of files)
        for (const secret of [other.ciphertext, other.password, other.nodeKey, other.privateKey])
          expect(holds(bytes, secret), `${path} holds a secret of ${other.name}`).toBe(false)
    }
  }
  const published = (await readAllFiles(root)).filter((f) => /\.(card|bundle)\.json$/.test(f.path))
  expect(published.length).toBeGreaterThan(0)
  for (const {path, bytes} of published) {
    for (const s of secrets)
      for (const secret of [s.ciphertext, s.password, s.nodeKey, s.privateKey])
        expect(holds(bytes, secret), `${path} holds a secret of ${s.name}`).toBe(false)
    for (const form of extra) expect(holds(bytes, form), `${path} holds a consortium secret`).toBe(false)
  }
}
