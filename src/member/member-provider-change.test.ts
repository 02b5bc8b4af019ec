import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {foundConsortium} from './found-consortium.js'
import {initMember} from './init-member.js'
import {approveAsMember, proposeJoiner, removeAsMember} from './member-provider-change.js'
import {snapshotDir} from './testing/dir-snapshot.js'

let port = 30_600
async function newWorkspace(root: string, name: string) {
  const dir = join(root, name)
  const result = await initMember({dir, name, advertise: {host: '10.231.8.1', port: port++}, lightKdf: true})
  return {...result, dir}
}

/** Two founders' workspaces (anne founded, holding the bundle) and a joiner's. */
async function consortiumWithJoiner() {
  const root = await mkdtemp(join(tmpdir(), 'medrec-governance-'))
  const anne = await newWorkspace(root, 'st-anne')
  const bart = await newWorkspace(root, 'st-bart')
  const dora = await newWorkspace(root, 'dora')
  await foundConsortium({dir: anne.dir, name: 'carenet', cardFiles: [bart.cardFile, anne.cardFile], chainId: 4_242_077})
  return {root, anne, bart, dora}
}

describe('provider propose/approve/remove in a member workspace refuse bad input with nothing changed', () => {
  it('refuses a tampered card and a card signed by another key', async () => {
    const {root, anne, bart, dora} = await consortiumWithJoiner()
    const before = await snapshotDir(anne.dir)
    // A card whose advertised address was changed after signing
    const tampered = join(root, 'tampered.card.json')
    const card = JSON.parse(await readFile(dora.cardFile, 'utf8')) as Record<string, unknown>
    await writeFile(tampered, JSON.stringify({...card, host: '10.9.9.9'}))
    await expect(proposeJoiner({dir: anne.dir, cardFile: tampered})).rejects.toMatchObject({
      code: errorCodes.CARD_SIGNATURE,
    })
    // dora's card carrying bart's signature
    const bartCard = JSON.parse(await readFile(bart.cardFile, 'utf8')) as Record<string, unknown>
    const forged = join(root, 'forged.card.json')
    await writeFile(forged, JSON.stringify({...card, signature: bartCard.signature}))
    await expect(proposeJoiner({dir: anne.dir, cardFile: forged})).rejects.toMatchObject({
      code: errorCodes.CARD_SIGNATURE,
    })
    expect(await snapshotDir(anne.dir)).toEqual(before)
  })

  it('refuses a workspace that holds no bundle, and a name the bundle does not list as a member', async () => {
    const {anne, dora} = await consortiumWithJoiner()
    const before = await snapshotDir(dora.dir)
    await expect(proposeJoiner({dir: dora.dir, cardFile: anne.cardFile})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_MISSING,
    })
    await expect(approveAsMember({dir: dora.dir, name: 'st-anne'})).rejects.toMatchObject({
      code: errorCodes.BUNDLE_MISSING,
    })
    expect(await snapshotDir(dora.dir)).toEqual(before)
    const anneBefore = await snapshotDir(anne.dir)
    await expect(removeAsMember({dir: anne.dir, name: 'dora'})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
    })
    expect(await snapshotDir(anne.dir)).toEqual(anneBefore)
  })

  it('refuses to vote before this member has verified the deployed contracts', async () => {
    const {anne, dora} = await consortiumWithJoiner()
    const before = await snapshotDir(anne.dir)
    await expect(proposeJoiner({dir: anne.dir, cardFile: dora.cardFile})).rejects.toMatchObject({
      code: errorCodes.CONTRACTS_NOT_DEPLOYED,
    })
    expect(await snapshotDir(anne.dir)).toEqual(before)
  })
})
