import type {ProviderChangeResult} from './provider-change-result.js'

/** Human lines for a provider add/approve/remove result: what happened, and what is left to do. */
export function describeProviderChange(result: ProviderChangeResult): string[] {
  const whitelist = result.whitelist
  const castHere = whitelist.votedBy.length > 0 ? ` (cast here by ${whitelist.votedBy.join(', ')})` : ''
  const lines = [
    `Whitelist: ${whitelist.votes} of ${whitelist.threshold} votes${castHere}${whitelist.passed ? '; passed.' : '.'}`,
  ]
  if (result.clique) {
    const clique = result.clique
    const sealed = clique.firstSealedBlock !== null ? `; ${result.name} sealed block ${clique.firstSealedBlock}.` : '.'
    lines.push(`Clique: ${clique.votesFrom.length} of ${clique.votesNeeded} votes${sealed}`)
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
