import {randomBytes} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'

import type {LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import type {NetworkPublicClient} from '../workspace/network-clients.js'
import {deployArtifact} from '../contracts/deploy-contracts.js'
import {clientsFor, deployMedrecWorld} from '../contracts/testing/medrec-test-world.js'
import {useMedrecChain} from '../contracts/testing/test-context.js'
import {errorCodes} from '../errors/error-codes.js'
import {readAuditAnchors, sendAuditAnchor, startAuditAnchoring, type AuditAnchoringEvent} from './audit-anchors.js'
import {verifyAuditLog} from './audit-log.js'
import {anonymousRead, temporaryAuditLog} from './testing/audit-log-fixtures.js'

const ctx = useMedrecChain()
const macKey = randomBytes(32)

type AnchorHead = Parameters<typeof sendAuditAnchor>[0]['head']

/** A MedRec world with AuditAnchors: its accounts send anchors, and world.provider's are read back, as the CLI does. */
async function world() {
  const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
  const {address: anchors} = await deployArtifact({
    ...clientsFor(w.chain, w.governance),
    artifact: ctx.compiled().artifacts.AuditAnchors!,
    args: [w.registrar],
  })
  const publicClient = w.chain.publicClient as NetworkPublicClient
  return {
    ...w,
    anchors,
    sendAnchor: (account: LocalAccount, head: AnchorHead) =>
      sendAuditAnchor({publicClient, walletClient: clientsFor(w.chain, account).walletClient, anchors, head}),
    providerAnchors: (fromBlock?: bigint) =>
      readAuditAnchors({publicClient, anchors, providerId: w.provider.id, fromBlock}),
  }
}

describe('audit anchors on chain', () => {
  it('fails verification of a log cut below its anchor, naming the anchor', async () => {
    // Given a provider's log of five lines whose head is anchored on chain, then two more lines
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    const w = await world()
    for (let n = 1; n <= 5; n++) await log.append(anonymousRead(n))
    const sent = await w.sendAnchor(w.provider.account, await log.sync())
    for (let n = 6; n <= 7; n++) await log.append(anonymousRead(n))
    await log.close()

    // Then the anchor read back from the chain matches the log
    const anchors = await w.providerAnchors()
    expect(anchors).toEqual([
      {
        entries: 5,
        head: expect.stringMatching(/^0x[0-9a-f]{64}$/),
        block: sent.block,
        transactionHash: sent.transactionHash,
        time: expect.any(String),
      },
    ])
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({
      ok: true,
      entries: 7,
      anchors: [{status: 'matched'}],
    })

    // When the log is cut to four lines (every remaining line still valid, MACs and all)
    const lines = (await readFile(path, 'utf8')).split('\n').slice(0, 4)
    await writeFile(path, `${lines.join('\n')}\n`)
    expect(await verifyAuditLog(path, {macKey})).toMatchObject({ok: true, entries: 4})

    // Then verification against the chain's anchors fails, naming that anchor's block and transaction
    const result = await verifyAuditLog(path, {macKey, anchors})
    expect(result).toMatchObject({
      ok: false,
      entries: 4,
      problem: {line: 5, anchor: {entries: 5, transactionHash: sent.transactionHash}},
      anchors: [{status: 'missing'}],
    })
    expect(result.problem?.reason).toContain(`block ${sent.block}`)
    expect(result.problem?.reason).toContain(sent.transactionHash)
  })

  it('reads only the anchors of the provider asked about, from the block asked', async () => {
    const w = await world()
    const head = {entries: 3, hash: `0x${'ab'.repeat(32)}` as const}
    const mine = await w.sendAnchor(w.provider.account, head)
    await w.sendAnchor(w.otherProvider.account, {...head, entries: 9})
    const later = await w.sendAnchor(w.provider.account, {...head, entries: 4})
    expect((await w.providerAnchors()).map((a) => [a.entries, a.transactionHash])).toEqual([
      [3, mine.transactionHash],
      [4, later.transactionHash],
    ])
    expect((await w.providerAnchors(BigInt(later.block))).map((a) => a.entries)).toEqual([4])
  })

  it("refuses to send an anchor for a decertified provider, with the contract's reason", async () => {
    const w = await world()
    await expect(
      w.sendAnchor(w.uncertifiedProvider.account, {entries: 1, hash: `0x${'cd'.repeat(32)}`}),
    ).rejects.toMatchObject({
      code: errorCodes.CONTRACT_REVERTED,
      message: expect.stringContaining('NotCertifiedProvider'),
    })
  })
})

describe('startAuditAnchoring', () => {
  it('anchors a growing log at each tick and once more on stop, never an unchanged head', async () => {
    // Given a running log with a periodic anchorer
    await using file = await temporaryAuditLog(macKey)
    const {path, log} = file
    const w = await world()
    const events: AuditAnchoringEvent[] = []
    const anchorer = startAuditAnchoring({
      audit: log,
      everyMs: 60_000,
      send: (head) => w.sendAnchor(w.provider.account, head),
      onEvent: (e) => events.push(e),
    })
    try {
      // When a tick finds an empty log, then two lines, then the same two lines
      await anchorer.anchorNow()
      await log.append(anonymousRead(1))
      await log.append(anonymousRead(2))
      await anchorer.anchorNow()
      await anchorer.anchorNow()
      // And three more lines are written before the gatekeeper stops
      for (let n = 3; n <= 5; n++) await log.append(anonymousRead(n))
    } finally {
      await anchorer.stop()
      await log.close()
    }

    // Then exactly two anchors were sent: the two lines, and all five at stop
    expect(events.map((e) => [e.type, e.entries])).toEqual([
      ['anchored', 2],
      ['anchored', 5],
    ])
    const anchors = await w.providerAnchors()
    expect(anchors.map((a) => a.entries)).toEqual([2, 5])
    expect(await verifyAuditLog(path, {macKey, anchors})).toMatchObject({
      ok: true,
      entries: 5,
      anchors: [{status: 'matched'}, {status: 'matched'}],
    })
  })

  it('reports a failed anchor and keeps serving, then anchors on its own timer', async () => {
    await using file = await temporaryAuditLog(macKey)
    const {log} = file
    const w = await world()
    const events: AuditAnchoringEvent[] = []
    let sender = w.uncertifiedProvider.account
    const anchored = new Promise<void>((resolve) => {
      const anchorer = startAuditAnchoring({
        audit: log,
        everyMs: 200,
        send: (head) => w.sendAnchor(sender, head),
        onEvent: (e) => {
          events.push(e)
          // After the first refusal, the right key: the next tick anchors.
          if (e.type === 'anchor-failed') sender = w.provider.account
          if (e.type === 'anchored') void anchorer.stop().then(resolve)
        },
      })
    })
    await log.append(anonymousRead(1))
    await anchored
    // The log took no harm from the failed anchor
    expect(await log.append(anonymousRead(2))).toMatchObject({seq: 2})
    await log.close()
    expect(events[0]).toMatchObject({
      type: 'anchor-failed',
      entries: 1,
      message: expect.stringContaining('NotCertifiedProvider'),
    })
    expect(events.at(-1)).toMatchObject({type: 'anchored', entries: 1})
  })
})
