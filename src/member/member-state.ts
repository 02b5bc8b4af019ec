import {randomUUID} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {ensureStateDir} from '../workspace/network-files.js'
import {writeFileAtomically, type MemberPaths} from './member-files.js'

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
})

export type MemberState = z.output<typeof memberStateSchema>

/** A new state for a freshly made member workspace. */
export function newMemberState(): MemberState {
  return {version: 1, memberId: randomUUID(), trustedContracts: {}}
}

/** Reads .medrec/member-state.json; undefined when there is none yet. */
export async function readMemberState(paths: MemberPaths): Promise<MemberState | undefined> {
  let text: string
  try {
    text = await readFile(paths.memberStateFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new MedrecError(errorCodes.STATE_INVALID, `${paths.memberStateFile} is not JSON.`, {
      hint: 'The tool writes this file atomically, so it was edited or damaged; restore it from backup.',
      cause: error,
    })
  }
  const parsed = memberStateSchema.safeParse(json)
  if (!parsed.success) {
    throw new MedrecError(
      errorCodes.STATE_INVALID,
      `${paths.memberStateFile} is not a state file this version understands.`,
      {
        details: parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
        hint: 'Restore it from backup.',
      },
    )
  }
  return parsed.data
}

/** Writes member-state.json atomically, private to the user. */
export async function writeMemberState(paths: MemberPaths, state: MemberState): Promise<void> {
  await ensureStateDir(paths)
  await writeFileAtomically(paths.memberStateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600)
}
