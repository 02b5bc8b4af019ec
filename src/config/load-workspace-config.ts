import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {memberConfigFileName} from './member-config.js'
import {configFileName} from './network-config.js'
import {parseYamlConfig} from './parse-yaml-config.js'
import {assertWorkspaceKind} from './workspace-kind.js'

const configFileNames = {network: configFileName, member: memberConfigFileName} as const

/** What to tell the user when a workspace's configuration file is missing, not YAML, or invalid. */
export type WorkspaceConfigHints = {missing: string; notYaml: string; invalid: string}

/**
 * Reads and validates the configuration file of a `kind` workspace in `dir`, reporting every
 * problem at once. A workspace of the other kind is refused by name, not reported as missing
 * the file with advice to create one.
 */
export async function loadWorkspaceConfig<S extends z.ZodType>(
  dir: string,
  kind: keyof typeof configFileNames,
  schema: S,
  hints: WorkspaceConfigHints,
): Promise<z.output<S>> {
  await assertWorkspaceKind(dir, kind)
  const fileName = configFileNames[kind]
  const path = join(dir, fileName)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MedrecError(errorCodes.CONFIG_NOT_FOUND, `No ${fileName} in ${dir}.`, {
        hint: hints.missing,
        cause: error,
      })
    }
    throw error
  }
  return parseYamlConfig(text, path, schema, hints)
}
