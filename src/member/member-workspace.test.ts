import {mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {exportBundle} from './export-bundle.js'
import {foundConsortium} from './found-consortium.js'
import {importBundle} from './import-bundle.js'
import {initMember} from './init-member.js'
import {showMemberCard} from './member-card.js'
import {nodeCardFiles} from './node-card.js'
import {snapshotDir} from './testing/dir-snapshot.js'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'medrec-member-'))
}

let port = 30_400
async function newWorkspace(root: string, name: string) {
  const dir = join(root, name)
  const result = await initMember({dir, name, advertise: {host: '10.231.7.1', port: port++}, lightKdf: true})
  return {...result, dir}
}

describe('a member workspace', () => {
  it('holds its own keys, medrec-member.yaml and a card that describes it', async () => {
    // Given a new member workspace
    const root = await tempDir()
    const anne = await newWorkspace(root, 'st-anne')
    // Then it holds the member's own keys and its card
    const listing = (await snapshotDir(anne.dir)).map((line) => line.split(' ')[0])
    expect(listing).toEqual(
      expect.arrayContaining([
        '.medrec/keys/st-anne/keystore.json',
        '.medrec/keys/st-anne/password',
        '.medrec/keys/st-anne/nodekey',
        '.medrec/keys/rpc/nodekey',
        '.medrec/member-state.json',
        'medrec-member.yaml',
        'medrec-member.schema.json',
        'st-anne.card.json',
      ]),
    )
    const card = await nodeCardFiles.read(anne.cardFile)
    expect(card).toMatchObject({name: 'st-anne', signer: anne.signer, enode: anne.enode, host: '10.231.7.1'})
    // And showing the card again changes nothing
    const before = await snapshotDir(anne.dir)
    expect(await showMemberCard({dir: anne.dir})).toMatchObject({written: false, card})
    expect(await snapshotDir(anne.dir)).toEqual(before)
  })

  it('never overwrites a key: init again is refused, --force keeps the keys, another name is refused', async () => {
    const root = await tempDir()
    const anne = await newWorkspace(root, 'st-anne')
    const keystore = await readFile(join(anne.dir, '.medrec/keys/st-anne/keystore.json'), 'utf8')
    const before = await snapshotDir(anne.dir)
    await expect(initMember({dir: anne.dir, name: 'st-anne', advertise: {host: '10.0.0.9'}})).rejects.toMatchObject({
      code: errorCodes.CONFIG_EXISTS,
    })
    await expect(
      initMember({dir: anne.dir, name: 'st-bart', advertise: {host: '10.0.0.9'}, force: true}),
    ).rejects.toMatchObject({code: errorCodes.CONFIG_EXISTS, message: expect.stringContaining('member st-anne')})
    await expect(initMember({dir: join(root, 'bad'), name: 'X', advertise: {host: 'a b'}})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      details: [expect.stringMatching(/^name: /), expect.stringMatching(/^advertise\.host: /)],
    })
    expect(await snapshotDir(anne.dir)).toEqual(before)
    expect(await snapshotDir(join(root, 'bad'))).toEqual([])
    // With --force and a new address, the keys stay and the card is signed again
    const again = await initMember({dir: anne.dir, name: 'st-anne', advertise: {host: '10.0.0.9'}, force: true})
    expect(again).toMatchObject({signer: anne.signer, keyCreated: false, advertise: {host: '10.0.0.9', port: 30_303}})
    expect(await readFile(join(anne.dir, '.medrec/keys/st-anne/keystore.json'), 'utf8')).toBe(keystore)
    expect((await nodeCardFiles.read(anne.cardFile)).host).toBe('10.0.0.9')
  })

  it('founds, imports and exports: every member ends with the same bundle and identity key', async () => {
    // Given three members, one of whom convenes
    const root = await tempDir()
    const [anne, bart, clare] = [
      await newWorkspace(root, 'st-anne'),
      await newWorkspace(root, 'st-bart'),
      await newWorkspace(root, 'st-clare'),
    ]
    // When st-anne founds from the others' cards (and its own, passed again), and they import
    const out = join(root, 'carenet.bundle.json')
    const founded = await foundConsortium({
      dir: anne.dir,
      name: 'carenet',
      cardFiles: [bart.cardFile, clare.cardFile, anne.cardFile],
      chainId: 4_242_010,
      out,
    })
    expect(founded.founders.map((f) => f.name)).toEqual(['st-anne', 'st-bart', 'st-clare'])
    expect(await importBundle({dir: bart.dir, file: out})).toMatchObject({
      succession: 'first',
      role: 'member',
      identityKey: 'written',
      revision: 1,
    })
    await importBundle({dir: clare.dir, file: out})
    // Then the three hold one identity key
    const keyOf = (dir: string) => readFile(join(dir, '.medrec/keys/identity/hmac.key'), 'utf8')
    const key = await keyOf(anne.dir)
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    expect(await keyOf(bart.dir)).toBe(key)
    expect(await keyOf(clare.dir)).toBe(key)
    // And st-clare's export is revision 2, which st-anne takes and st-bart takes
    const two = join(root, 'rev2.bundle.json')
    expect(await exportBundle({dir: clare.dir, out: two})).toMatchObject({revision: 2, exportedBy: clare.signer})
    expect(await importBundle({dir: anne.dir, file: two})).toMatchObject({succession: 'newer', identityKey: 'kept'})
    expect(await importBundle({dir: bart.dir, file: two})).toMatchObject({succession: 'newer', revision: 2})
    // And importing revision 1 again is refused, with nothing written
    const before = await snapshotDir(bart.dir)
    await expect(importBundle({dir: bart.dir, file: out})).rejects.toMatchObject({code: errorCodes.BUNDLE_REVISION_OLD})
    expect(await snapshotDir(bart.dir)).toEqual(before)
    // And founding again in a member workspace that belongs to a consortium is refused
    await expect(foundConsortium({dir: bart.dir, name: 'again', cardFiles: []})).rejects.toMatchObject({
      code: errorCodes.CONFIG_EXISTS,
    })
  })

  it('refuses a bundle that does not list this member, and writes nothing', async () => {
    const root = await tempDir()
    const anne = await newWorkspace(root, 'st-anne')
    const dora = await newWorkspace(root, 'st-dora')
    const out = join(root, 'b.json')
    await foundConsortium({dir: anne.dir, name: 'carenet', cardFiles: [], chainId: 4_242_011, out})
    const before = await snapshotDir(dora.dir)
    await expect(importBundle({dir: dora.dir, file: out})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_NOT_FOR_MEMBER,
      message: expect.stringContaining('st-dora'),
    })
    expect(await snapshotDir(dora.dir)).toEqual(before)
  })

  it('takes a bundle that lists this provider as joining, with no identity key for it yet', async () => {
    // Given a consortium whose member proposes st-dora from its card, and exports that
    const root = await tempDir()
    const anne = await newWorkspace(root, 'st-anne')
    const dora = await newWorkspace(root, 'st-dora')
    await foundConsortium({dir: anne.dir, name: 'carenet', cardFiles: [], chainId: 4_242_014})
    const proposed = join(root, 'rev2.bundle.json')
    const card = await nodeCardFiles.read(dora.cardFile)
    await exportBundle({dir: anne.dir, out: proposed, changes: [{type: 'propose', card}]})
    // When st-dora imports it
    const result = await importBundle({dir: dora.dir, file: proposed})
    // Then it holds the bundle as a joiner, without the consortium's identity key
    expect(result).toMatchObject({role: 'joining', identityKey: 'none', revision: 2, joining: [{name: 'st-dora'}]})
    const files = (await snapshotDir(dora.dir)).map((line) => line.split(' ')[0])
    expect(files).toContain('consortium.bundle.json')
    expect(files.filter((f) => f?.includes('identity'))).toEqual([])
    // And it cannot export, not being a member
    await expect(exportBundle({dir: dora.dir})).rejects.toMatchObject({code: errorCodes.BUNDLE_SIGNER_NOT_MEMBER})
  })

  it('refuses a bundle whose identity key differs from the one the workspace holds', async () => {
    const root = await tempDir()
    const anne = await newWorkspace(root, 'st-anne')
    const bart = await newWorkspace(root, 'st-bart')
    const out = join(root, 'b.json')
    await foundConsortium({dir: anne.dir, name: 'carenet', cardFiles: [bart.cardFile], chainId: 4_242_012, out})
    // Given st-bart already holding another identity key
    await mkdir(join(bart.dir, '.medrec/keys/identity'), {recursive: true})
    await writeFile(join(bart.dir, '.medrec/keys/identity/hmac.key'), 'ab'.repeat(32), {mode: 0o600})
    const before = await snapshotDir(bart.dir)
    await expect(importBundle({dir: bart.dir, file: out})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_SECRET_INVALID,
    })
    expect(await snapshotDir(bart.dir)).toEqual(before)
  })

  it('notices a stored bundle that was swapped on disk, and exports nothing without a bundle', async () => {
    const root = await tempDir()
    const anne = await newWorkspace(root, 'st-anne')
    await expect(exportBundle({dir: anne.dir})).rejects.toMatchObject({code: errorCodes.BUNDLE_MISSING})
    await foundConsortium({dir: anne.dir, name: 'carenet', cardFiles: [], chainId: 4_242_013})
    const other = await newWorkspace(root, 'st-anne-2')
    await foundConsortium({dir: other.dir, name: 'carenet', cardFiles: [], chainId: 4_242_013})
    await writeFile(join(anne.dir, 'consortium.bundle.json'), await readFile(join(other.dir, 'consortium.bundle.json')))
    await expect(exportBundle({dir: anne.dir})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_INVALID,
      message: expect.stringContaining('is not the bundle this workspace accepted'),
    })
  })
})
