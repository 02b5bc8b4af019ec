import {randomUUID} from 'node:crypto'

import {z} from 'zod'

import {stateFile} from '../workspace/state-file.js'
import type {MemberPaths} from './member-files.js'

// Loose: fields that other parts of the tool add (the node's runtime) survive a rewrite by this version.
const memberStateSchema = z.looseObject({
  version: z.literal(1),
  /** Random id that ties this member's Docker resources (by label) to this directory. */
  memberId: z.string().min(8),
  /** The bundle this workspace last accepted (consortium.bundle.json), to notice a swapped file. */
  bundle: z
    .strictObject({
      revision: z.number().int().min(1),
      contentHash: z.string().regex(/^0x[0-9a-f]{64}$/),
      importedAt: z.string(),
    })
    .optional(),
  /** Contracts of the bundle whose code this member checked on its own node, by contract name. */
  trustedContracts: z
    .record(z.string(), z.strictObject({address: z.string(), codeHash: z.string(), verifiedAt: z.string()}))
    .default({}),
  /**
   * This member's own Clique votes, by the lowercase address voted on: written before each is cast
   * over IPC, so its watchdog can cast one again after the sealer restarted (geth keeps proposals
   * in memory only). The latest vote on an address replaces the earlier one; a vote whose change
   * the signer set shows is dropped (recordedVotesAfter).
   */
  cliqueVotes: z.record(z.string(), z.looseObject({authorize: z.boolean(), castAt: z.string()})).default({}),
})

export type MemberState = z.output<typeof memberStateSchema>

/** A new state for a freshly made member workspace. */
export function newMemberState(): MemberState {
  return {version: 1, memberId: randomUUID(), trustedContracts: {}, cliqueVotes: {}}
}

/**
 * .medrec/member-state.json. Commands run at once in one workspace change it with `update`, each
 * changing only the fields it owns, so they keep each other's changes.
 */
const memberStateFile = stateFile((paths: MemberPaths) => paths.memberStateFile, memberStateSchema)

/** Reads .medrec/member-state.json; undefined when there is none yet. */
export const readMemberState = memberStateFile.read

/** Changes member-state.json under its lock; returns the state the file holds afterwards. */
export const updateMemberState = memberStateFile.update
