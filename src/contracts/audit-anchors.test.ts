import {encodeFunctionData, parseEventLogs, zeroAddress, type Address, type Hex, type LocalAccount} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {auditAnchorsAbi} from './abi/audit-anchors.js'
import {deployAuditAnchors} from './deploy-audit-anchors.js'
import {deployArtifact} from './deploy-contracts.js'
import {
  clientsFor,
  deployMedrecWorld,
  newAccount,
  randomIdentity,
  send,
  type MedrecWorld,
} from './testing/medrec-test-world.js'
import {expectRevert, useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()

/** A MedRec world plus an AuditAnchors bound to its Registrar. */
async function world(): Promise<MedrecWorld & {anchors: Address}> {
  const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
  const {address} = await deployArtifact({
    ...clientsFor(w.chain, await newAccount(w.chain)),
    artifact: ctx.compiled().artifacts.AuditAnchors!,
    args: [w.registrar],
  })
  return {...w, anchors: address}
}

/** What deployAuditAnchors needs to deploy AuditAnchors for `w`'s Registrar from its governance key. */
const anchorsDeployment = (w: MedrecWorld) => ({
  ...clientsFor(w.chain, w.governance),
  registrar: w.registrar,
  artifact: ctx.compiled().artifacts.AuditAnchors!,
})

const anchor = (w: MedrecWorld & {anchors: Address}, from: LocalAccount, head: Hex, entries: bigint) =>
  send(
    w.chain,
    from,
    w.anchors,
    encodeFunctionData({abi: auditAnchorsAbi, functionName: 'anchor', args: [head, entries]}),
  )

describe('AuditAnchors', () => {
  it('lets a certified provider anchor its log head, filed under its own identity, with the block time', async () => {
    // Given a world with two certified providers
    const w = await world()
    const head = randomIdentity()

    // When one anchors a head
    const receipt = await anchor(w, w.provider.account, head, 42n)

    // Then exactly one AuditAnchored names that provider's identity, the head, the count and the block's time
    const block = await w.chain.publicClient.getBlock({blockNumber: receipt.blockNumber})
    const events = parseEventLogs({abi: auditAnchorsAbi, logs: receipt.logs, eventName: 'AuditAnchored'})
    expect(events.map((e) => e.args)).toEqual([{providerId: w.provider.id, head, entries: 42n, time: block.timestamp}])
    expect(events[0]?.address.toLowerCase()).toBe(w.anchors.toLowerCase())

    // And the other provider's anchor is filed under its identity, not the first one's
    const other = await anchor(w, w.otherProvider.account, head, 7n)
    expect(parseEventLogs({abi: auditAnchorsAbi, logs: other.logs}).map((e) => e.args.providerId)).toEqual([
      w.otherProvider.id,
    ])

    // And the contract reports the Registrar it trusts
    expect(
      (
        await w.chain.publicClient.readContract({address: w.anchors, abi: auditAnchorsAbi, functionName: 'registrar'})
      ).toLowerCase(),
    ).toBe(w.registrar.toLowerCase())
  })

  it('costs the same for the twentieth anchor as for the first (no state grows)', async () => {
    const w = await world()
    const gas: bigint[] = []
    for (let i = 1; i <= 20; i++) {
      const head = `0x${(i % 2 === 0 ? 'ab' : 'cd').repeat(32)}` as Hex
      gas.push((await anchor(w, w.provider.account, head, BigInt(100 + i))).gasUsed)
    }
    expect(new Set(gas).size).toBe(1)
    expect(gas[0]).toBeLessThan(35_000n)
  })

  it('refuses everyone who is not a certified provider', async () => {
    const w = await world()
    const refused: [string, LocalAccount][] = [
      ['governance', w.governance],
      ['patient', w.patient.account],
      ['decertified provider', w.uncertifiedProvider.account],
      ['lab steward', w.lab.account],
      ['viewer', w.viewer],
      ['random address', w.stranger],
    ]
    for (const [role, account] of refused) {
      await expectRevert(anchor(w, account, randomIdentity(), 1n), 'NotCertifiedProvider', [account.address]).catch(
        (error: unknown) => {
          throw new Error(`${role}: ${String(error)}`)
        },
      )
    }
  })

  it('refuses a provider from the block it is decertified in, and its old account after it rotates', async () => {
    // Given a provider that has anchored
    const w = await world()
    await anchor(w, w.provider.account, randomIdentity(), 1n)

    // When governance moves it to a new account (providers cannot rotate themselves), the old
    // account can no longer anchor and the new one can
    const moved = await newAccount(w.chain)
    await w.registrarSend(w.governance, 'recoverSteward', [w.provider.id, moved.address])
    await expectRevert(anchor(w, w.provider.account, randomIdentity(), 2n), 'NotCertifiedProvider', [
      w.provider.account.address,
    ])
    const receipt = await anchor(w, moved, randomIdentity(), 2n)
    expect(parseEventLogs({abi: auditAnchorsAbi, logs: receipt.logs}).map((e) => e.args.providerId)).toEqual([
      w.provider.id,
    ])

    // When governance decertifies it, it is refused
    await w.registrarSend(w.governance, 'decertifyProvider', [w.provider.id])
    await expectRevert(anchor(w, moved, randomIdentity(), 3n), 'NotCertifiedProvider', [moved.address])
  })

  it('cannot be deployed without a Registrar', async () => {
    const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
    await expect(
      deployArtifact({
        ...clientsFor(w.chain, w.governance),
        artifact: ctx.compiled().artifacts.AuditAnchors!,
        args: [zeroAddress],
      }),
    ).rejects.toMatchObject({
      code: errorCodes.DEPLOY_FAILED,
    })
  })
})

describe('deployAuditAnchors', () => {
  it('deploys once, then reuses the contract it finds; deploys again where the code is gone', async () => {
    // Given a MedRec deployment
    const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
    const options = anchorsDeployment(w)
    const sent: Hex[] = []

    // When AuditAnchors is deployed, then deployed again with the stored address
    const first = await deployAuditAnchors({...options, onSent: (hash) => sent.push(hash)})
    const second = await deployAuditAnchors({...options, existing: first.address})

    // Then the second run reuses the first contract and sends nothing
    expect(first.deployed).toBe(true)
    expect(second).toEqual({address: first.address, deployed: false})
    expect(sent).toHaveLength(1)

    // And a stored address without code (a reset chain) gets a fresh deployment
    const fresh = await deployAuditAnchors({...options, existing: (await newAccount(w.chain)).address})
    expect(fresh.deployed).toBe(true)
    expect(fresh.address).not.toBe(first.address)
  })

  it('refuses a stored address that runs other code, or trusts another Registrar', async () => {
    const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
    const options = anchorsDeployment(w)
    await expect(deployAuditAnchors({...options, existing: w.registrar})).rejects.toMatchObject({
      code: errorCodes.DEPLOY_FAILED,
      message: expect.stringMatching(/different code/),
    })
    const other = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
    const elsewhere = await deployAuditAnchors({...options, registrar: other.registrar})
    await expect(deployAuditAnchors({...options, existing: elsewhere.address})).rejects.toMatchObject({
      code: errorCodes.DEPLOY_FAILED,
      message: expect.stringMatching(/trusts the Registrar/),
    })
  })
})
