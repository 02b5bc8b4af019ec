import {getAddress, zeroHash, type Address, type Hex, type PublicClient} from 'viem'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {relationshipAbi} from '../contracts/abi/relationship.js'

/** The block a decision was read at. */
export type BlockRef = {number: bigint; hash: Hex}

/** Why access was refused; goes to the audit log, never to the requester. */
export type AccessDenialReason = 'not-permitted' | 'other-steward' | 'not-patient'

export type AccessDecision =
  | {allowed: true; block: BlockRef; patient: Hex}
  | {allowed: false; block: BlockRef; reason: AccessDenialReason}

/** The chain cannot be asked: the RPC node is down or the head is stale. */
export class ChainUnavailableError extends Error {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'ChainUnavailableError'
  }
}

export type ChainAccessOptions = {
  publicClient: PublicClient
  registrar: Address
  /** The identity of the provider this gatekeeper serves: only its relationships are answered. */
  providerId: Hex
  /** How often the head is read. A revocation is honoured once the head that holds it is seen. */
  pollMs?: number
  /** With no fresh head for this long, the chain counts as unavailable and every request is refused. */
  staleAfterMs?: number
}

/**
 * The gatekeeper's view of the chain: the latest block, read every `pollMs`, and access
 * decisions read at exactly that block. Decisions are cached per block and the cache is
 * dropped whenever the head moves, so a revocation mined in a block is honoured for every
 * request decided at that block or later. A relationship's patient and steward never
 * change (clones are initialised once), so those are cached for good.
 */
export class ChainAccess {
  private head: (BlockRef & {seenAt: number}) | undefined
  private lastError: unknown
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private decisions = new Map<string, Promise<AccessDecision>>()
  private readonly parties = new Map<Address, Promise<{patient: Hex; steward: Hex}>>()
  private readonly pollMs: number
  private readonly staleAfterMs: number

  private readonly options: ChainAccessOptions

  constructor(options: ChainAccessOptions) {
    this.options = {...options, providerId: options.providerId.toLowerCase() as Hex}
    this.pollMs = options.pollMs ?? 100
    this.staleAfterMs = options.staleAfterMs ?? 3000
  }

  /** Reads the head once (failing if the chain cannot be asked), then keeps polling. */
  async start(): Promise<BlockRef> {
    await this.poll()
    if (!this.head) throw new ChainUnavailableError('The RPC node did not answer.', {cause: this.lastError})
    this.schedule()
    return this.latest()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /** The newest block seen; throws ChainUnavailableError when it is stale. */
  latest(): BlockRef {
    if (!this.head || Date.now() - this.head.seenAt > this.staleAfterMs) {
      throw new ChainUnavailableError(this.head ? `No new head from the RPC node for ${Date.now() - this.head.seenAt} ms.` : 'The RPC node has not answered.', {cause: this.lastError})
    }
    return {number: this.head.number, hash: this.head.hash}
  }

  /**
   * May `requester` read `relationship` within `scope` at the latest block? With
   * `patientOnly`, only the relationship's patient is allowed (notification streams).
   */
  async decide(request: {relationship: Address; requester: Address; scope: bigint; patientOnly?: boolean}): Promise<AccessDecision> {
    const block = this.latest()
    const key = `${request.relationship}|${request.requester}|${request.scope}|${request.patientOnly === true}`
    let decision = this.decisions.get(key)
    if (!decision) {
      decision = this.readDecision(request, block)
      this.decisions.set(key, decision)
      // A failed read must not be remembered: the next request asks again.
      decision.catch(() => this.decisions.get(key) === decision && this.decisions.delete(key))
    }
    return decision
  }

  private async readDecision(request: {relationship: Address; requester: Address; scope: bigint; patientOnly?: boolean}, block: BlockRef): Promise<AccessDecision> {
    const {publicClient, registrar} = this.options
    const blockNumber = block.number
    try {
      const allowed = await publicClient.readContract({address: registrar, abi: registrarAbi, functionName: 'canAccess', args: [request.relationship, request.requester, request.scope], blockNumber})
      if (!allowed) return {allowed: false, block, reason: 'not-permitted'}
      const parties = await this.partiesOf(request.relationship, blockNumber)
      if (parties.steward !== this.options.providerId) return {allowed: false, block, reason: 'other-steward'}
      if (request.patientOnly) {
        const id = await publicClient.readContract({address: registrar, abi: registrarAbi, functionName: 'identityOf', args: [request.requester], blockNumber})
        if (id === zeroHash || id !== parties.patient) return {allowed: false, block, reason: 'not-patient'}
      }
      return {allowed: true, block, patient: parties.patient}
    } catch (error) {
      throw new ChainUnavailableError('Reading the access decision from the chain failed.', {cause: error})
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
      if (this.head?.hash !== block.hash) this.decisions = new Map()
      this.head = {number: block.number, hash: block.hash, seenAt: Date.now()}
      this.lastError = undefined
    } catch (error) {
      this.lastError = error
    }
  }
}
