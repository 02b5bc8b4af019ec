import type {ProviderChangeResult} from './provider-change-result.js'

/** Human lines for a provider add/approve/remove result: what happened, and what is left to do. */
export function describeProviderChange(result: ProviderChangeResult): string[] {
  const lines = [
    `Whitelist: ${result.whitelist.votes} of ${result.whitelist.threshold} votes${result.whitelist.votedBy.length > 0 ? ` (cast here by ${result.whitelist.votedBy.join(', ')})` : ''}${result.whitelist.passed ? '; passed.' : '.'}`,
  ]
  if (result.clique) {
    lines.push(
      `Clique: ${result.clique.votesFrom.length} of ${result.clique.votesNeeded} votes${result.clique.firstSealedBlock !== null ? `; ${result.name} sealed block ${result.clique.firstSealedBlock}.` : '.'}`,
    )
  }
  if (result.status === 'done') {
    lines.push(
      result.action === 'remove'
        ? `${result.name} is off the whitelist${result.sealer ? ' and out of the signer set' : ''}.`
        : `${result.name} (${result.account}) is a provider${result.sealer ? ' and a signer' : ''}.`,
    )
  } else {
    lines.push(
      `Waiting for more sealing providers: each runs \`medrec provider approve ${result.name} --as THEIR_SEALER\`.`,
    )
  }
  return lines
}
