import {getAddress, zeroAddress, type Address} from 'viem'

import {checkAccountReference} from '../accounts/account-reference.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openConsortium} from './consortium-contracts.js'
import {requireVoter, voteOnce, type ConsortiumVoteOutcome} from './consortium-votes.js'

export type TransferGovernanceParameters = {
  dir: string
  /** The successor contract's address; the zero address cancels a pending handover. */
  next: string
  /** The sealing provider (whose key is here) that votes. */
  as: string
}

export type TransferGovernanceReturnType = ConsortiumVoteOutcome & {
  proposal: 'transfer-governance'
  voter: string
  registrar: Address
  /** Who governs the Registrar now (the Consortium until the successor accepts). */
  governance: Address
  next: Address
  /** The Registrar's pending governance after this vote: `next` once the proposal has executed. */
  pendingGovernance: Address
}

/**
 * One sealing provider (`as`) votes to hand the Registrar's governance to a successor
 * contract (Consortium.voteTransferGovernance), e.g. an upgraded Consortium. A majority
 * starts the handover; the Consortium keeps governing until `next` calls
 * Registrar.acceptGovernance. The zero address cancels a pending handover.
 */
export async function transferGovernance(options: TransferGovernanceParameters): Promise<TransferGovernanceReturnType> {
  checkAccountReference(options.next, 'NEXT', {allowZero: true})
  if (!/^0x/i.test(options.next)) {
    const message = `NEXT "${options.next}" must be the successor contract's address.`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Governance goes only to a contract (0x and 40 hex digits); the zero address cancels a pending handover.',
    })
  }
  const next = getAddress(options.next)
  const context = await openConsortium(options.dir)
  const {consortium, registrar} = context.contracts
  const voter = await requireVoter(context, options.as)
  const governanceState = async () => {
    const [governing, pending] = await Promise.all([registrar.read.governance(), registrar.read.pendingGovernance()])
    return {governing: getAddress(governing), pending: getAddress(pending)}
  }
  const cancel = next === zeroAddress
  const inEffect = async () => {
    const now = await governanceState()
    return cancel ? now.pending === zeroAddress : now.pending === next || now.governing === next
  }
  const {governing: governance, pending} = await governanceState()
  if (!(await inEffect())) {
    if (governance !== context.consortium) {
      const message = `The Consortium ${context.consortium} no longer governs the Registrar.`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: `Its governance is ${governance}; only the governing contract can hand it on.`,
      })
    }
    if (next === context.consortium || next === context.registrar) {
      const what = next === context.consortium ? 'this Consortium: it governs already' : 'the Registrar itself'
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${next} is ${what}.`, {hint: 'Give the successor contract.'})
    }
    const code = cancel ? undefined : await context.publicClient.getCode({address: next})
    if (!cancel && (code === undefined || code === '0x')) {
      // An account that accepted governance would put one key in charge of the whitelist and every recovery.
      const message = `${next} has no contract code: governance goes only to a contract.`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'Deploy the successor first and give its address.',
      })
    }
  } else if (cancel && pending === zeroAddress) {
    const message = "No handover of the Registrar's governance is pending: nothing to cancel."
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message)
  }

  const subject = await consortium.read.GOVERNANCE_SUBJECT()
  const outcome = await voteOnce(context, {
    voter,
    proposal: {action: 'transfer-governance', subject, account: next},
    inEffect,
    inEffectWithoutVote: `${next} governs the Registrar already, or is its pending governance.`,
    action: cancel ? 'cancel the governance handover' : `hand the Registrar's governance to ${next}`,
    vote: (writer) => writer.write.voteTransferGovernance([next]),
  })
  const after = await governanceState()
  return {
    proposal: 'transfer-governance',
    voter: voter.name,
    registrar: context.registrar,
    governance: after.governing,
    next,
    pendingGovernance: after.pending,
    ...outcome,
  }
}
