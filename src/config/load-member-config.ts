import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  memberConfigFileName,
  memberConfigSchema,
  memberConfigSchemaFileName,
  type MemberConfig,
} from './member-config.js'
import {parseYamlConfig} from './parse-yaml-config.js'
import {assertWorkspaceKind} from './workspace-kind.js'

/** Reads and validates `medrec-member.yaml` in `dir`, reporting every problem at once. */
export async function loadMemberConfig(dir: string): Promise<MemberConfig> {
  await assertWorkspaceKind(dir, 'member')
  const path = join(dir, memberConfigFileName)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MedrecError(errorCodes.CONFIG_NOT_FOUND, `No ${memberConfigFileName} in ${dir}.`, {
        hint:
          "Run `medrec member init NAME --advertise HOST[:PORT]` to make this provider's workspace here, " +
          'or pass --dir.',
        cause: error,
      })
    }
    throw error
  }
  return parseMemberConfig(text, path)
}

/** Parses the text of a medrec-member.yaml; `path` is only used in messages. */
export function parseMemberConfig(text: string, path: string): MemberConfig {
  return parseYamlConfig(text, path, memberConfigSchema, {
    notYaml:
      'Fix the YAML syntax at the lines shown, or rewrite the file with `medrec member init NAME --advertise ' +
      'HOST --force` (keys are kept).',
    invalid: `Correct the fields listed; the JSON Schema in ${memberConfigSchemaFileName} lets an editor check \
them as you type.`,
  })
}
