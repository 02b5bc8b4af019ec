import {getAddress, type Address} from 'viem'

import {sealerProposals} from '../clique/clique-proposals.js'
import {cliqueStatus} from '../clique/clique-status.js'
import {runningSealers} from '../clique/running-sealers.js'
import {currentSigners} from '../clique/signers-at.js'
import {cliqueVotesNeeded} from '../clique/votes-needed.js'
import {reconcilerEnabled} from '../config/network-profile.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {loadNetwork, rpcUrlOf} from '../workspace/load-network.js'

export type SealerListing = {
  signers: Address[]
  votesNeeded: number
  sealers: {
    name: string
    address: Address
    isSigner: boolean
    running: boolean
    proposals: Record<string, boolean> | null
  }[]
  votes: {address: Address; authorize: boolean; castBy: string[]; lostOn: string[]}[]
  /** Signers that are no configured sealer (added by vote from elsewhere), and lost votes. */
  drift: string[]
}

/** The signer set beside the configured sealers, each sealer's proposals, and the intended votes. Read-only. */
export async function listSealers(options: {dir: string; engine: ContainerEngine}): Promise<SealerListing> {
  const network = await loadNetwork(options.dir)
  await options.engine.ping()
  const signers = await currentSigners(network)
  const running = await runningSealers(options.engine, network)
  const sealers = await Promise.all(
    network.config.sealers.map(async (s) => {
      const container = running.get(s.name)
      return {
        name: s.name,
        address: getAddress(s.address),
        isSigner: signers.includes(getAddress(s.address)),
        running: container !== undefined,
        proposals: container ? await sealerProposals(options.engine, container.id, s.name).catch(() => null) : null,
      }
    }),
  )
  const signerSet = new Set(signers.map((s) => s.toLowerCase()))
  const votes = Object.entries(network.state.votes).map(([key, v]) => ({
    address: getAddress(key),
    authorize: v.authorize,
    castBy: v.sealers,
    // A vote whose change the signer set shows has passed: its proposals may be discarded (by the
    // reconciler), which is no loss.
    lostOn: v.sealers.filter((name) => {
      if (signerSet.has(key.toLowerCase()) === v.authorize) return false
      const proposals = sealers.find((s) => s.name === name)?.proposals
      return proposals !== null && proposals !== undefined && proposals[key] !== v.authorize
    }),
  }))
  const reissuer = reconcilerEnabled(network.config)
    ? 'the vote reconciler casts it again (`medrec network logs reconciler`), as does `medrec network up`'
    : '`medrec network up` re-issues it'
  const configured = new Set(sealers.map((s) => s.address))
  const drift = [
    ...signers.filter((s) => !configured.has(s)).map((s) => `${s} is a signer but no sealer in medrec.yaml`),
    ...votes
      .filter((v) => v.lostOn.length > 0)
      .map((v) => {
        const vote = `the vote to ${v.authorize ? 'add' : 'remove'} ${v.address}`
        return `${v.lostOn.join(', ')} lost ${vote} (restarted?): ${reissuer}`
      }),
  ]
  return {signers, votesNeeded: cliqueVotesNeeded(signers.length), sealers, votes, drift}
}

export type SealerActivity = {
  numBlocks: number
  inturnPercent: number
  signers: {address: Address; name: string | null; sealed: number}[]
}

/** clique_status: each signer's sealing over the last 64 blocks, with sealer names. */
export async function sealerActivity(options: {dir: string}): Promise<SealerActivity> {
  const network = await loadNetwork(options.dir)
  const status = await cliqueStatus(rpcUrlOf(network.config))
  const names = new Map(network.config.sealers.map((s) => [s.address.toLowerCase(), s.name]))
  return {
    numBlocks: status.numBlocks,
    inturnPercent: status.inturnPercent,
    signers: Object.entries(status.sealerActivity)
      .map(([a, n]) => ({address: getAddress(a), name: names.get(a.toLowerCase()) ?? null, sealed: n}))
      .sort((x, y) => (x.name ?? x.address).localeCompare(y.name ?? y.address)),
  }
}
