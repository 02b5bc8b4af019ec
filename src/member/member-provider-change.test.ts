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

type Consortium = Awaited<ReturnType<typeof consortiumWithJoiner>>

/** A copy of dora's signed card, changed by `change`, written beside the workspaces. */
async function doraCardWith(c: Consortium, file: string, change: (card: Record<string, unknown>) => object) {
  const card = JSON.parse(await readFile(c.dora.cardFile, 'utf8')) as Record<string, unknown>
  const path = join(c.root, file)
  await writeFile(path, JSON.stringify(change(card)))
  return path
}

/** Each refusal: what is asked, in whose workspace, and the code it is refused with. */
const refusals: {
  refusal: string
  workspace: 'anne' | 'dora'
  code: string
  attempt: (c: Consortium) => Promise<unknown>
}[] = [
  {
    refusal: 'a card whose advertised address was changed after signing',
    workspace: 'anne',
    code: errorCodes.CARD_SIGNATURE,
    attempt: async (c) => {
      const tampered = await doraCardWith(c, 'tampered.card.json', (card) => ({...card, host: '10.9.9.9'}))
      return proposeJoiner({dir: c.anne.dir, cardFile: tampered})
    },
  },
  {
    refusal: "dora's card carrying bart's signature",
    workspace: 'anne',
    code: errorCodes.CARD_SIGNATURE,
    attempt: async (c) => {
      const bartCard = JSON.parse(await readFile(c.bart.cardFile, 'utf8')) as Record<string, unknown>
      const forged = await doraCardWith(c, 'forged.card.json', (card) => ({...card, signature: bartCard.signature}))
      return proposeJoiner({dir: c.anne.dir, cardFile: forged})
    },
  },
  {
    refusal: 'a proposal in a workspace that holds no bundle',
    workspace: 'dora',
    code: errorCodes.BUNDLE_MISSING,
    attempt: (c) => proposeJoiner({dir: c.dora.dir, cardFile: c.anne.cardFile}),
  },
  {
    refusal: 'an approval in a workspace that holds no bundle',
    workspace: 'dora',
    code: errorCodes.BUNDLE_MISSING,
    attempt: (c) => approveAsMember({dir: c.dora.dir, name: 'st-anne'}),
  },
  {
    refusal: 'removing a name the bundle does not list as a member',
    workspace: 'anne',
    code: errorCodes.INVALID_ARGUMENT,
    attempt: (c) => removeAsMember({dir: c.anne.dir, name: 'dora'}),
  },
  {
    refusal: 'a vote before this member has verified the deployed contracts',
    workspace: 'anne',
    code: errorCodes.CONTRACTS_NOT_DEPLOYED,
    attempt: (c) => proposeJoiner({dir: c.anne.dir, cardFile: c.dora.cardFile}),
  },
]

describe('provider propose/approve/remove in a member workspace refuse bad input with nothing changed', () => {
  it.each(refusals)('refuses $refusal ($code)', async ({workspace, code, attempt}) => {
    // Given a consortium founded in anne's workspace, and dora's workspace not yet in it
    const consortium = await consortiumWithJoiner()
    const dir = consortium[workspace].dir
    const before = await snapshotDir(dir)
    // When asked, it refuses with the code, and the workspace holds what it held
    await expect(attempt(consortium)).rejects.toMatchObject({code})
    expect(await snapshotDir(dir)).toEqual(before)
  })
})
