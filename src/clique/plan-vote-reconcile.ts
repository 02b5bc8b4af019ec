/** A Clique vote the operator intends: cast by these sealers until the signer set shows the change. */
export type VoteIntent = {authorize: boolean; sealers: readonly string[]}

export type VoteReconcileInput = {
  /** Intended votes by lowercase address. */
  intents: Readonly<Record<string, VoteIntent>>
  /** The current Clique signers (any case). */
  signers: readonly string[]
  /**
   * The in-memory proposals (lowercase address → authorize) of each sealer that could be
   * asked. A sealer missing here is not running or did not answer: nothing is planned on it.
   */
  proposals: ReadonlyMap<string, Readonly<Record<string, boolean>>>
}

export type VoteReconcilePlan = {
  /** Votes whose change the signer set shows: to forget, and to discard where a sealer still holds them. */
  passed: {address: string; discardOn: string[]}[]
  /** Votes to cast again on the sealers that lost them (geth forgets proposals on restart). */
  reissue: {address: string; authorize: boolean; sealers: string[]}[]
}

/** The signer set as the vote decisions compare it: lowercase addresses. */
export function signerSetOf(signers: readonly string[]): ReadonlySet<string> {
  return new Set(signers.map((s) => s.toLowerCase()))
}

/** Whether the signer set (signerSetOf) already shows the change a vote on `address` (lowercase) asks for. */
export function votePassed(signers: ReadonlySet<string>, address: string, authorize: boolean): boolean {
  return signers.has(address) === authorize
}

/**
 * Decides, from plain data, which recorded votes to cast again and where, and which have
 * passed. The one copy of this decision: `network up` and the reconciler both apply it.
 */
export function planVoteReconcile(input: VoteReconcileInput): VoteReconcilePlan {
  const signers = signerSetOf(input.signers)
  const plan: VoteReconcilePlan = {passed: [], reissue: []}
  for (const [key, intent] of Object.entries(input.intents)) {
    const address = key.toLowerCase()
    if (votePassed(signers, address, intent.authorize)) {
      const discardOn = [...input.proposals].filter(([, held]) => address in held).map(([name]) => name)
      plan.passed.push({address, discardOn})
      continue
    }
    const lost = intent.sealers.filter((name) => {
      const held = input.proposals.get(name)
      return held !== undefined && held[address] !== intent.authorize
    })
    if (lost.length > 0) plan.reissue.push({address, authorize: intent.authorize, sealers: lost})
  }
  return plan
}
