import {access} from 'node:fs/promises'
import {join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {memberConfigFileName} from './member-config.js'
import {configFileName} from './network-config.js'

/**
 * A directory is a network workspace (medrec.yaml: every sealer's keys, one host) or a member
 * workspace (medrec-member.yaml: one provider's own keys), never both: a member workspace must
 * never come to hold another provider's keys, and a network's keys must never be taken for a
 * member's. 'any' is for commands that use no workspace (building the image, compiling).
 */
export type WorkspaceKind = 'network' | 'member' | 'any'

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/** Which workspace files `dir` holds. */
export async function findWorkspaceFiles(dir: string): Promise<{network: boolean; member: boolean}> {
  const [network, member] = await Promise.all([
    exists(join(dir, configFileName)),
    exists(join(dir, memberConfigFileName)),
  ])
  return {network, member}
}

/**
 * Refuses a directory of the other kind, before anything is read or written. `command`
 * (e.g. "network up") names the command in the message.
 */
export async function assertWorkspaceKind(dir: string, expected: WorkspaceKind, command?: string): Promise<void> {
  if (expected === 'any') return
  const found = await findWorkspaceFiles(dir)
  const who = command ? `\`medrec ${command}\`` : 'This command'
  if (expected === 'network' && found.member) {
    throw new MedrecError(
      errorCodes.WORKSPACE_IS_MEMBER,
      `${who} works on a network workspace (medrec.yaml), but ${dir} is a member workspace: it holds \
${memberConfigFileName}.`,
      {
        hint:
          'In a member workspace use `medrec member …` and `medrec consortium found|import|export`. ' +
          'Keep a single-host network in a directory of its own (pass --dir).',
      },
    )
  }
  if (expected === 'member' && found.network) {
    throw new MedrecError(
      errorCodes.WORKSPACE_IS_NETWORK,
      `${who} works on a member workspace (${memberConfigFileName}), but ${dir} is a network workspace: it holds \
${configFileName}.`,
      {
        hint:
          "A member workspace holds one provider's own keys only: run `medrec member init NAME --advertise HOST` " +
          'in a new, empty directory (pass --dir), not in a network directory.',
      },
    )
  }
}
