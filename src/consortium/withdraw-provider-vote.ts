import type {ContainerEngine} from '../docker/container-engine.js'
import {withdrawOneSealerVote} from '../sealers/clique-votes.js'
import {networkWalletClient} from '../workspace/network-clients.js'
import {openConsortium} from './consortium-contracts.js'
import {requireVoter} from './consortium-votes.js'
import {withdrawOneKeyProviderVote} from './member-provider-vote.js'
import {withdrawalReport, type ProviderVoteWithdrawal} from './provider-vote-withdrawal.js'

export type WithdrawProviderVoteParameters = {
  dir: string
  engine: ContainerEngine
  /** The provider the proposal is about. */
  name: string
  /** The sealing provider (whose key is here) that takes its votes back. */
  as: string
}

/**
 * `provider withdraw NAME --as X` in a network workspace: X takes back its votes on the open
 * admission or removal of NAME, on chain and in Clique (its recorded intent and its sealer's
 * memory); the others' votes stay. A re-run after the on-chain vote was withdrawn finishes the
 * Clique half; with neither left to withdraw, it is refused (MEDREC_NOT_VOTED).
 */
export async function withdrawProviderVote(options: WithdrawProviderVoteParameters): Promise<ProviderVoteWithdrawal> {
  const context = await openConsortium(options.dir)
  await requireVoter(context, options.as)
  await options.engine.ping()
  const withdrawal = await withdrawOneKeyProviderVote(
    {
      publicClient: context.publicClient,
      walletClient: await networkWalletClient(context.network, context.chain, options.as),
      registrar: context.registrar,
      consortium: context.consortium,
    },
    options.name,
  )
  const clique = await withdrawOneSealerVote({...options, address: withdrawal.account, sealer: options.as})
  return withdrawalReport(withdrawal, options.as, clique, `medrec provider approve ${options.name} --as ${options.as}`)
}
