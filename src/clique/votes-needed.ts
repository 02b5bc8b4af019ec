/** Clique's threshold (EIP-225): a change passes with more than half of the current signers' votes. */
export function cliqueVotesNeeded(signerCount: number): number {
  return Math.floor(signerCount / 2) + 1
}
