import {getAddress, zeroAddress, zeroHash, type Address, type Hex, type PublicClient} from 'viem'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {relationshipAbi} from '../contracts/abi/relationship.js'

/** The block a decision was read at. */
export type BlockRef = {number: bigint; hash: Hex}

/** Why access was refused; goes to the audit log, never to the requester. */
export type AccessDenialReason = 'not-permitted' | 'other-steward' | 'not-patient' | 'grant-expired'

/** Access granted at `block`, to records of `patient`. */
export type AccessGranted = {allowed: true; block: BlockRef; patient: Hex}

/** Access refused at `block`. */
export type AccessRefused = {
  allowed: false
  block: BlockRef
  reason: AccessDenialReason
  /** The requester is a registered participant or holds a grant: its refusal is audit-worthy on its own. */
  requesterKnown: boolean
}

export type AccessDecision = AccessGranted | AccessRefused

/** Why the chain cannot be asked: the RPC node does not answer, or it answers with an old head. */
export type ChainUnavailableReason = 'rpc-unreachable' | 'head-stale' | 'read-failed'

/** The chain cannot be asked: the RPC node is down or the head is stale. */
export class ChainUnavailableError extends Error {
  readonly reason: ChainUnavailableReason

  constructor(reason: ChainUnavailableReason, message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'ChainUnavailableError'
    this.reason = reason
  }
}

/** What /v1/health reports. */
export type ChainHealth =
  | {ok: true; block: BlockRef; headAgeMs: number}
  | {
      ok: false
      reason: ChainUnavailableReason
      message: string
      lastHead: (BlockRef & {timestamp: bigint; ageMs: number}) | null
    }

export type ChainAccessOptions = {
  publicClient: PublicClient
  registrar: Address
  /** The identity of the provider this gatekeeper serves: only its relationships are answered. */
  providerId: Hex
  /** The Clique period (seconds): a healthy chain seals a block about this often. */
  cliquePeriodSeconds: number
  /**
   * A head whose block is older than this (by its timestamp, against our clock) counts as
   * stale and every request is refused. Default: chainHeadAgeBoundMs(cliquePeriodSeconds).
   */
  maxHeadAgeMs?: number
  /** How often the head is read. A revocation is honoured once the head that holds it is seen. */
  pollMs?: number
  /** With no answer from the RPC node for this long, the chain counts as unavailable. */
  staleAfterMs?: number
  /** Most decisions cached for one block; beyond it the cache starts afresh (strangers' random keys). */
  maxCachedDecisions?: number
}

/**
 * How old a head may be before the gatekeeper stops trusting it: 5 Clique periods (an
 * out-of-turn sealer covers a missing in-turn one within about 2), and never under 30 s,
 * since block timestamps have one-second resolution and sealers' clocks drift.
 */
export function chainHeadAgeBoundMs(cliquePeriodSeconds: number): number {
  return Math.max(30_000, 5 * cliquePeriodSeconds * 1000)
}

type AccessRequest = {relationship: Address; requester: Address; scope: bigint; patientOnly?: boolean}
type Head = BlockRef & {timestampMs: number; seenAt: number; providerAccount: Address | undefined}
/** A viewer's grant may expire before the head moves: the cache keeps when, so an expired grant is refused. */
type CachedDecision = (AccessGranted & {viewerExpiryMs?: number}) | AccessRefused

/**
 * The gatekeeper's view of the chain: the latest block, read every `pollMs`, and access
 * decisions read at exactly that block. Decisions are cached per block and the cache is
 * dropped whenever the head moves, so a revocation mined in a block is honoured for every
 * request decided at that block or later. A relationship's patient and steward never
 * change (clones are initialised once), so those are cached for good.
 *
 * Two things a block cannot tell are checked against our own clock on every request: the
 * head must be recent (a node that stopped receiving blocks would otherwise keep serving
 * an old state, before a revocation it never got), and a viewer's grant must not have
 * expired by now (the block's timestamp lags behind).
 *
 * The provider's account (the audience requests must name) is read again at every new
 * head, so a rotated key is followed without a restart.
 */
export class ChainAccess {
  private head: Head | undefined
  private lastError: unknown
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private decisions = new Map<string, Promise<CachedDecision>>()
  private readonly parties = new Map<Address, Promise<{patient: Hex; steward: Hex}>>()
  private readonly pollMs: number
  private readonly staleAfterMs: number
  private readonly maxHeadAgeMs: number
  private readonly maxCachedDecisions: number

  private readonly options: ChainAccessOptions

  constructor(options: ChainAccessOptions) {
    const period = options.cliquePeriodSeconds
    if (!Number.isFinite(period) || period < 0) {
      throw new RangeError(`cliquePeriodSeconds must be a non-negative number, not ${period}`)
    }
    this.options = {...options, providerId: options.providerId.toLowerCase() as Hex}
    this.pollMs = options.pollMs ?? 100
    this.staleAfterMs = options.staleAfterMs ?? 3000
    this.maxHeadAgeMs = options.maxHeadAgeMs ?? chainHeadAgeBoundMs(period)
    this.maxCachedDecisions = options.maxCachedDecisions ?? 100_000
  }

  /** Reads the head once (failing if the chain cannot be asked), then keeps polling. */
  async start(): Promise<BlockRef> {
    await this.poll()
    if (!this.head) {
      throw new ChainUnavailableError('rpc-unreachable', 'The RPC node did not answer.', {cause: this.lastError})
    }
    this.schedule()
    return {number: this.head.number, hash: this.head.hash}
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /** The newest block seen; throws ChainUnavailableError when the node is silent or the head is old. */
  latest(): BlockRef {
    const health = this.health()
    if (!health.ok) throw new ChainUnavailableError(health.reason, health.message, {cause: this.lastError})
    return health.block
  }

  /** Whether decisions can be made now, and if not, why. O(1): called on every request. */
  health(): ChainHealth {
    const head = this.head
    const now = Date.now()
    if (!head) return {ok: false, reason: 'rpc-unreachable', message: 'The RPC node has not answered.', lastHead: null}
    const ageMs = Math.max(0, now - head.timestampMs)
    const lastHead = {number: head.number, hash: head.hash, timestamp: BigInt(head.timestampMs / 1000), ageMs}
    if (now - head.seenAt > this.staleAfterMs) {
      const message = `No answer from the RPC node for ${now - head.seenAt} ms.`
      return {ok: false, reason: 'rpc-unreachable', message, lastHead}
    }
    if (ageMs > this.maxHeadAgeMs) {
      const message =
        `The newest block the RPC node has is ${Math.round(ageMs / 1000)} s old ` +
        `(more than ${this.maxHeadAgeMs / 1000} s): it is not receiving blocks.`
      return {ok: false, reason: 'head-stale', message, lastHead}
    }
    return {ok: true, block: {number: head.number, hash: head.hash}, headAgeMs: ageMs}
  }

  /**
   * The provider's account at the newest head seen (fresh or not: decide() refuses a stale
   * one): the audience every request must name. Undefined when the provider has no
   * account (not registered, or removed) or no head was ever read.
   */
  providerAccount(): Address | undefined {
    return this.head?.providerAccount
  }

  /**
   * May `requester` read `relationship` within `scope` at the latest block, and, for a
   * viewer, is its grant still unexpired by our clock? With `patientOnly`, only the
   * relationship's patient is allowed (notification streams).
   */
  async decide(request: AccessRequest): Promise<AccessDecision> {
    const block = this.latest()
    const key = `${request.relationship}|${request.requester}|${request.scope}|${request.patientOnly === true}`
    let decision = this.decisions.get(key)
    if (!decision) {
      // Every stranger's random key is a new entry: bound the cache rather than the strangers.
      if (this.decisions.size >= this.maxCachedDecisions) this.decisions = new Map()
      const decisions = this.decisions
      decision = this.readDecision(request, block)
      decisions.set(key, decision)
      // A failed read must not be remembered: the next request asks again.
      decision.catch(() => decisions.get(key) === decision && decisions.delete(key))
    }
    const read = await decision
    if (read.allowed && read.viewerExpiryMs !== undefined && read.viewerExpiryMs <= Date.now()) {
      return {allowed: false, block: read.block, reason: 'grant-expired', requesterKnown: true}
    }
    return read.allowed ? {allowed: true, block: read.block, patient: read.patient} : read
  }

  private async readDecision(request: AccessRequest, block: BlockRef): Promise<CachedDecision> {
    const {publicClient, registrar} = this.options
    const blockNumber = block.number
    try {
      const {relationship, requester, scope} = request
      const [allowed, requesterId] = await Promise.all([
        publicClient.readContract({
          address: registrar,
          abi: registrarAbi,
          functionName: 'canAccess',
          args: [relationship, requester, scope],
          blockNumber,
        }),
        publicClient.readContract({
          address: registrar,
          abi: registrarAbi,
          functionName: 'identityOf',
          args: [requester],
          blockNumber,
        }),
      ])
      const id = requesterId.toLowerCase() as Hex
      const registered = id !== zeroHash
      if (!allowed) return {allowed: false, block, reason: 'not-permitted', requesterKnown: registered}
      // canAccess is true only for a registered Relationship, so reading it is safe from here on;
      // and only for its patient, steward or a granted viewer, so the requester is known.
      const parties = await this.partiesOf(request.relationship, blockNumber)
      if (parties.steward !== this.options.providerId) {
        return {allowed: false, block, reason: 'other-steward', requesterKnown: true}
      }
      if (request.patientOnly && (!registered || id !== parties.patient)) {
        return {allowed: false, block, reason: 'not-patient', requesterKnown: true}
      }
      if (registered && (id === parties.patient || id === parties.steward)) {
        return {allowed: true, block, patient: parties.patient}
      }
      // A viewer: its grant expires at a time the block's timestamp may not have reached yet.
      const [, expiry] = await publicClient.readContract({
        address: getAddress(relationship),
        abi: relationshipAbi,
        functionName: 'grantOf',
        args: [requester],
        blockNumber,
      })
      return {allowed: true, block, patient: parties.patient, viewerExpiryMs: Number(expiry) * 1000}
    } catch (error) {
      const message = 'Reading the access decision from the chain failed.'
      throw new ChainUnavailableError('read-failed', message, {cause: error})
    }
  }

  private partiesOf(relationship: Address, blockNumber: bigint): Promise<{patient: Hex; steward: Hex}> {
    const address = getAddress(relationship)
    let parties = this.parties.get(address)
    if (!parties) {
      const {publicClient} = this.options
      parties = Promise.all([
        publicClient.readContract({address, abi: relationshipAbi, functionName: 'patient', blockNumber}),
        publicClient.readContract({address, abi: relationshipAbi, functionName: 'steward', blockNumber}),
      ]).then(([patient, steward]) => ({patient: patient.toLowerCase() as Hex, steward: steward.toLowerCase() as Hex}))
      this.parties.set(address, parties)
      parties.catch(() => this.parties.delete(address))
    }
    return parties
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), this.pollMs)
    this.timer.unref()
  }

  private async poll(): Promise<void> {
    try {
      const block = await this.options.publicClient.getBlock({blockTag: 'latest'})
      if (block.hash === null || block.number === null) return
      const seenAt = Date.now()
      const timestampMs = Number(block.timestamp) * 1000
      if (this.head?.hash === block.hash) {
        this.head = {...this.head, seenAt}
      } else {
        // The audience is read at the same block, so a head never pairs with another block's account.
        const {publicClient, registrar, providerId} = this.options
        const account = await publicClient.readContract({
          address: registrar,
          abi: registrarAbi,
          functionName: 'accountOf',
          args: [providerId],
          blockNumber: block.number,
        })
        this.decisions = new Map()
        const providerAccount = account === zeroAddress ? undefined : getAddress(account)
        this.head = {number: block.number, hash: block.hash, timestampMs, seenAt, providerAccount}
      }
      this.lastError = undefined
    } catch (error) {
      this.lastError = error
    }
  }
}
