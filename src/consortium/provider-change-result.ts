import type {Address, Hash, Hex} from 'viem'

import type {Tally} from './consortium-votes.js'

/** What `provider add`, `approve` and `remove` report: the whitelist vote and, for a sealer, the Clique one. */
export type ProviderChangeResult = {
  action: 'admit' | 'remove'
  name: string
  id: Hex
  account: Address
  sealer: boolean
  /** done: on the whitelist (and signing, with a sealer) / off both; awaiting-votes: other providers must approve. */
  status: 'done' | 'awaiting-votes'
  whitelist: Tally & {votedBy: string[]}
  clique: {votesFrom: string[]; votesNeeded: number; firstSealedBlock: number | null} | null
  fundingTx: Hash | null
  timings: {totalMs: number; firstSealMs: number | null}
}
