import {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {parseJson} from '../errors/parse-json.js'
import type {NetworkIdentity} from './load-network.js'
import {reconcilerDesiredFileName} from './reconciler-names.js'

// What the vote reconciler (a container of its own, src/reconciler) is told to keep: a copy
// of the recorded votes and the sealers it looks after, in its own volume. It never reads
// the network directory, so it runs wherever the sealers' Docker engine is.

const lowercaseAddress = z.string().regex(/^0x[0-9a-f]{40}$/, 'must be a lowercase 0x address')

const reconcilerDesiredSchema = z.object({
  version: z.literal(1),
  networkId: z.string().min(8),
  network: z.string().min(1),
  /** Clique period (s) and epoch (blocks): how often to look, and where checkpoints fall. */
  period: z.number().int().min(1),
  epoch: z.number().int().min(1),
  /** The sealers it looks after (by node name); others are left alone. */
  sealers: z.array(z.string()),
  /** state.json's recorded votes, by lowercase address. */
  votes: z.record(
    lowercaseAddress,
    z.object({authorize: z.boolean(), sealers: z.array(z.string()), proposedAt: z.string()}),
  ),
  writtenAt: z.string(),
})

export type ReconcilerDesired = z.output<typeof reconcilerDesiredSchema>

/** The reconciler's desired state for a network, from its configuration and state.json. */
export function reconcilerDesiredOf(network: NetworkIdentity): ReconcilerDesired {
  const {config, state} = network
  return {
    version: 1,
    networkId: state.networkId,
    network: config.network.name,
    period: config.network.period,
    epoch: config.network.epoch,
    sealers: config.sealers.map((s) => s.name),
    votes: Object.fromEntries(Object.entries(state.votes).map(([key, vote]) => [key.toLowerCase(), vote])),
    writtenAt: new Date().toISOString(),
  }
}

/** Parses desired.json; an invalid file (e.g. read while being written) is MEDREC_STATE_INVALID. */
export function parseReconcilerDesired(text: string): ReconcilerDesired {
  const json = parseJson(
    text,
    (cause) => new MedrecError(errorCodes.STATE_INVALID, `${reconcilerDesiredFileName} is not JSON.`, {cause}),
  )
  const parsed = reconcilerDesiredSchema.safeParse(json)
  if (!parsed.success) {
    throw new MedrecError(errorCodes.STATE_INVALID, `${reconcilerDesiredFileName} is not a desired state it reads.`, {
      details: describeIssues(parsed.error),
    })
  }
  return parsed.data
}
