import {zeroAddress} from 'viem'

import type {ConsortiumVoteOutcome} from './consortium-votes.js'
import type {RecoverPatientReturnType} from './recover-patient.js'
import type {RecoverStewardReturnType} from './recover-steward.js'
import type {TransferGovernanceReturnType} from './transfer-governance.js'

type ConsortiumVoteResult = RecoverStewardReturnType | RecoverPatientReturnType | TransferGovernanceReturnType

/** The tally line every consortium vote prints. */
function tallyLine(outcome: ConsortiumVoteOutcome): string {
  const by = outcome.votedBy.length > 0 ? ` (${outcome.votedBy.join(', ')})` : ''
  const passed = outcome.status === 'executed' ? '; passed.' : '.'
  const line = `Consortium: ${outcome.votes} of ${outcome.threshold} votes${by}${passed}`
  if (outcome.transaction !== null) return line
  const why = outcome.status === 'executed' ? 'it had passed already.' : 'this member had voted already.'
  return `${line} No vote sent: ${why}`
}

/** The same command, for the other members to run with their own key. */
function sameCommandFor(result: ConsortiumVoteResult): string {
  switch (result.proposal) {
    case 'recover-steward':
      return `medrec consortium recover-steward ${result.steward.name ?? result.steward.id} --to ${result.to}`
    case 'recover-patient':
      return `medrec consortium recover-patient --id ${result.patient.id} --to ${result.to}`
    case 'transfer-governance':
      return `medrec consortium transfer-governance ${result.next}`
  }
}

function days(seconds: number): string {
  const d = seconds / 86_400
  return Number.isInteger(d) ? `${d} day${d === 1 ? '' : 's'}` : `${seconds} seconds`
}

function governanceLine(result: TransferGovernanceReturnType): string {
  const executed = result.status === 'executed'
  if (result.next === zeroAddress) {
    return executed ? "No handover of the Registrar's governance is pending." : 'Proposed: cancel the pending handover.'
  }
  if (!executed) return `Proposed: hand the Registrar's governance from ${result.governance} to ${result.next}.`
  if (result.governance === result.next) return `${result.next} governs the Registrar.`
  return (
    `The handover has started: ${result.next} takes over when it calls Registrar.acceptGovernance; ` +
    `until then ${result.governance} governs.`
  )
}

/** Human lines for a consortium vote: the tally, what changed, and what is left to do. */
export function describeConsortiumVote(result: ConsortiumVoteResult): string[] {
  const lines = [tallyLine(result)]
  const executed = result.status === 'executed'
  switch (result.proposal) {
    case 'recover-steward': {
      const who = result.steward.name ?? result.steward.id
      lines.push(
        executed
          ? `${who} (${result.steward.kind}) is now at ${result.to}.`
          : `Proposed: move ${who} (${result.steward.kind}) from ${result.from} to ${result.to}.`,
      )
      break
    }
    case 'recover-patient': {
      const {recovery} = result
      const cancel = `the patient's current key (${recovery.cancellableBy}) can cancel it (Registrar.cancelRecovery)`
      lines.push(
        executed && recovery.readyAt !== null
          ? `Recovery of patient ${result.patient.id} to ${result.to} started. The new key can complete it ` +
              `(Registrar.completeRecovery) from ${recovery.readyAt}, not before; until then ${cancel}.`
          : executed
            ? `Patient ${result.patient.id} is at ${result.to}.`
            : `Once a majority has voted, the new key can complete the recovery no sooner than ` +
              `${days(recovery.delaySeconds)} after the deciding vote; until then ${cancel}.`,
      )
      break
    }
    case 'transfer-governance':
      lines.push(governanceLine(result))
      break
  }
  if (!executed) {
    lines.push(`Waiting for more sealing providers: each runs \`${sameCommandFor(result)} --as THEIR_SEALER\`.`)
  }
  return lines
}
