import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {awaitLine, sourceModuleUrl, startSourceProcess} from '../workspace/testing/source-process.js'
import {acceptBundle} from './accept-bundle.js'
import {bundleFiles} from './consortium-bundle.js'
import {clearPendingContracts, savePendingContracts} from './deploy-member-contracts.js'
import {foundConsortium} from './found-consortium.js'
import {initMember} from './init-member.js'
import {loadMember} from './load-member.js'
import {memberPaths} from './member-files.js'
import {newMemberState, readMemberState, updateMemberState} from './member-state.js'
import {forgetMemberVote, pruneMemberVotes, recordMemberVote} from './member-votes.js'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'medrec-member-state-'))
}

/** A hex address whose last byte is `n`, for a vote. */
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`

/** Another process, as another medrec command in the workspace, that records votes on these addresses on "go". */
function voterProcess(dir: string, addresses: readonly string[]) {
  return startSourceProcess(`
    const {memberPaths} = await import(${JSON.stringify(sourceModuleUrl('member/member-files.ts'))})
    const {recordMemberVote} = await import(${JSON.stringify(sourceModuleUrl('member/member-votes.ts'))})
    const paths = memberPaths(${JSON.stringify(dir)})
    console.log('ready')
    ${awaitLine('go')}
    await Promise.all(${JSON.stringify(addresses)}.map((address) => recordMemberVote(paths, address, true)))
    process.exit(0)
  `)
}

describe("a member workspace's state changed by several commands at once", () => {
  it('keeps every vote recorded by three commands at once, while a prune drops only the passed one', async () => {
    // Given a member workspace with a vote to add address 999, and two other processes about to record 15 votes each
    const dir = await tempDir()
    const paths = memberPaths(dir)
    await updateMemberState(paths, () => newMemberState())
    await recordMemberVote(paths, address(999), true)
    const ours = Array.from({length: 15}, (_, i) => address(i + 1))
    const theirs = [0, 1].map((p) => Array.from({length: 15}, (_, i) => address(100 * (p + 1) + i)))
    const others = theirs.map((addresses) => voterProcess(dir, addresses))
    await Promise.all(others.map((other) => other.printed('ready')))
    // When all three record their votes at once, this one also pruning after 999 became a signer
    for (const other of others) other.send('go')
    await Promise.all([...ours.map((a) => recordMemberVote(paths, a, true)), pruneMemberVotes(paths, [address(999)])])
    expect(await Promise.all(others.map((other) => other.exited))).toEqual([0, 0])
    // Then every open vote is recorded, and the passed one is gone
    const votes = (await readMemberState(paths))?.cliqueVotes ?? {}
    expect(Object.keys(votes).sort()).toEqual([...ours, ...theirs.flat()].sort())
  })

  it('keeps a vote recorded after an import loaded the workspace, when that import accepts its bundle', async () => {
    // Given st-bart's workspace, loaded by an import of the founding bundle st-anne exported
    const root = await tempDir()
    const [anne, bart] = [
      await initMember({dir: join(root, 'anne'), name: 'st-anne', advertise: {host: '10.231.8.1'}, lightKdf: true}),
      await initMember({dir: join(root, 'bart'), name: 'st-bart', advertise: {host: '10.231.8.2'}, lightKdf: true}),
    ]
    const out = join(root, 'carenet.bundle.json')
    await foundConsortium({dir: anne.dir, name: 'carenet', cardFiles: [bart.cardFile], chainId: 4_242_020, out})
    const importing = await loadMember(bart.dir)
    // When another command records a vote of st-bart's meanwhile, and then the import accepts the bundle
    await recordMemberVote(importing.paths, address(7), true)
    await acceptBundle(importing, await bundleFiles.read(out), out)
    // Then the state holds both the bundle and the vote
    const state = await readMemberState(importing.paths)
    expect(state?.bundle).toMatchObject({revision: 1})
    expect(state?.cliqueVotes).toEqual({[address(7)]: {authorize: true, castAt: expect.any(String)}})
    expect(importing.state.cliqueVotes).toEqual(state?.cliqueVotes)
  })

  it('keeps a vote recorded during a deploy when the deploy saves and clears its pending contracts', async () => {
    // Given a member workspace whose deploy loaded the state before a vote was recorded
    const paths = memberPaths(await tempDir())
    const loaded = (await updateMemberState(paths, () => newMemberState()))!
    await recordMemberVote(paths, address(7), true)
    // When the deploy records a mined contract, and later finishes
    await savePendingContracts(paths, {Registrar: address(1) as `0x${string}`}, loaded)
    // Then the state holds the vote and the pending contract, and once finished only the vote
    expect(await readMemberState(paths)).toMatchObject({
      cliqueVotes: {[address(7)]: {authorize: true}},
      deployingContracts: {Registrar: address(1)},
    })
    await clearPendingContracts(paths)
    const after = await readMemberState(paths)
    expect(after).not.toHaveProperty('deployingContracts')
    expect(after?.cliqueVotes).toEqual({[address(7)]: {authorize: true, castAt: expect.any(String)}})
  })
})

describe("a member's withdrawn vote", () => {
  it('is forgotten, in any case of its address, keeping the others and the rest of the state', async () => {
    const paths = memberPaths(await tempDir())
    await updateMemberState(paths, () => newMemberState())
    await recordMemberVote(paths, address(1), true)
    await recordMemberVote(paths, address(2), false)
    const before = await readMemberState(paths)
    expect(await forgetMemberVote(paths, address(1).toUpperCase().replace('0X', '0x'))).toBe(true)
    const after = await readMemberState(paths)
    expect(after).toEqual({...before, cliqueVotes: {[address(2)]: before?.cliqueVotes[address(2)]}})
    // A second withdrawal has nothing to forget, and writes nothing
    expect(await forgetMemberVote(paths, address(1))).toBe(false)
    expect(await readMemberState(paths)).toEqual(after)
  })
})
