import {getAddress, parseEther, type Address, type Hash, type Hex} from 'viem'

import {sendFromDeployer} from '../accounts/accounts.js'
import {assertNodeName} from '../config/network-config.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {ensureAccountKey, ensureNodeKeys} from '../workspace/network-keys.js'
import {profileSettings} from '../config/network-profile.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {currentSigners} from '../clique/signers-at.js'
import {addSealer} from '../sealers/sealer-membership.js'
import {openConsortium, type ConsortiumContext} from './consortium-contracts.js'
import {castVotes, localMembers, pickVoters, sendVote} from './consortium-votes.js'
import type {ProviderChangeResult} from './provider-change-result.js'
import {providerIdentity} from './provider-identity.js'

/** What a new provider's account receives for gas, if it holds less. */
const providerGasFunds = parseEther('10')

export type AddProviderParameters = {
  dir: string
  engine: ContainerEngine
  /** The provider's name in the consortium; its identity is derived from it. */
  name: string
  /** Also run its sealer node and vote it into the Clique signer set. */
  sealer: boolean
  /** Vote only as these sealing providers (default: every one whose key is here). */
  voteAs?: string[]
  lightKdf?: boolean
  timeoutMs?: number
  progress?: ProgressListener
}

export type AddProviderReturnType = ProviderChangeResult

async function fundIfLow(context: ConsortiumContext, account: Address): Promise<Hash | null> {
  if ((await context.publicClient.getBalance({address: account})) >= providerGasFunds / 2n) return null
  return sendFromDeployer(context.network, context.chain, context.publicClient, account, providerGasFunds)
}

/** One member's vote to admit provider `name` (identity `id`) at `account`, signed with its own key. */
export function voteAdmitAs(
  context: ConsortiumContext,
  voter: string,
  proposal: {id: Hex; account: Address; sealer: boolean; name: string},
): Promise<Hash> {
  return sendVote(context, voter, `admit ${proposal.name}`, (consortium) =>
    consortium.write.voteAdmit([proposal.id, proposal.account, proposal.sealer]),
  )
}

/**
 * Adds a provider: its keys, gas, and the sealing providers' on-chain votes to admit it
 * (every member whose key is here, or those in `voteAs`). With `sealer`, also its node
 * and the signers' Clique votes (see addSealer), waiting until it has sealed a block.
 * Where too few votes can be cast here, the others approve with `provider approve`.
 */
export async function addProvider(options: AddProviderParameters): Promise<AddProviderReturnType> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  assertNodeName(options.name, 'provider')
  const context = await openConsortium(options.dir)
  const {network} = context
  const {consortium, registrar} = context.contracts
  if (options.sealer) {
    if (network.config.sealers.some((s) => s.name === options.name)) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `There is already a sealer named ${options.name}.`, {
        hint: 'Choose another name, or see `medrec provider list`.',
      })
    }
    await options.engine.ping()
  }
  const voters = pickVoters(await localMembers(context), options.voteAs, 'Sealing providers with keys here')
  const id = providerIdentity(options.name)
  const before = await registrar.read.participant([id])
  if (before.certified && (!options.sealer || (await consortium.read.isMember([id])))) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${options.name} is already a provider${options.sealer ? ' and a sealer' : ''}.`,
      {hint: 'See `medrec provider list`.'},
    )
  }

  const keysTitle = `Creating ${options.name}'s keys and funding its account`
  const {account, fundingTx} = await runStep(progress, 'keys', keysTitle, async () => {
    // A throwaway network's keys are all light (its profile), whatever the flag.
    const lightKdf = (options.lightKdf ?? false) || profileSettings(network.config.profile).lightKdf
    const keys = options.sealer
      ? await ensureNodeKeys(network.paths, options.name, {account: true, lightKdf})
      : await ensureAccountKey(network.paths, options.name, lightKdf)
    const account = getAddress(keys.address!)
    return {account, fundingTx: await fundIfLow(context, account)}
  })

  const proposal = {id, account, sealer: options.sealer, name: options.name}
  const votersList = voters.map((v) => v.name).join(', ') || 'nobody here'
  const whitelist = await runStep(
    progress,
    'whitelist',
    `Voting ${options.name} onto the whitelist from ${votersList}`,
    () =>
      castVotes(
        context,
        voters,
        () => consortium.read.admitKey([id, account, options.sealer]),
        async () => (await registrar.read.participant([id])).certified,
        (voter) => voteAdmitAs(context, voter, proposal),
      ),
    (t) => `${t.votes} of ${t.threshold} votes${t.passed ? ', admitted' : ''}`,
  )

  let clique: ProviderChangeResult['clique'] = null
  let firstSealMs: number | null = null
  if (options.sealer) {
    // Each voter casts both votes at once (on chain and in Clique): the same majority
    // decides both, so the two records move together.
    const signers = await currentSigners(network)
    const signing = (name: string) =>
      network.config.sealers.some((s) => s.name === name && signers.includes(getAddress(s.address)))
    const added = await addSealer({
      dir: options.dir,
      engine: options.engine,
      name: options.name,
      lightKdf: options.lightKdf,
      timeoutMs: Math.max(1000, (options.timeoutMs ?? 180_000) - (Date.now() - started)),
      votesFrom: voters.filter((v) => signing(v.name)).map((v) => v.name),
      progress,
    })
    clique = {votesFrom: added.votesFrom, votesNeeded: added.votesNeeded, firstSealedBlock: added.firstSealedBlock}
    firstSealMs = added.firstSealedBlock === null ? null : Date.now() - started
  }
  const done = whitelist.passed && (clique === null || clique.firstSealedBlock !== null)
  return {
    action: 'admit',
    name: options.name,
    id,
    account,
    sealer: options.sealer,
    status: done ? 'done' : 'awaiting-votes',
    whitelist,
    clique,
    fundingTx,
    timings: {totalMs: Date.now() - started, firstSealMs},
  }
}
