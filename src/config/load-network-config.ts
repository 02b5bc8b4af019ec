import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {configFileName, networkConfigSchema, type NetworkConfig} from './network-config.js'
import {parseYamlConfig} from './parse-yaml-config.js'
import {assertWorkspaceKind} from './workspace-kind.js'

/** Reads and validates `medrec.yaml` in `dir`, reporting every problem at once. */
export async function loadNetworkConfig(dir: string): Promise<NetworkConfig> {
  // A member workspace is refused by name, not reported as "no medrec.yaml" with advice to create one.
  await assertWorkspaceKind(dir, 'network')
  const path = join(dir, configFileName)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MedrecError(errorCodes.CONFIG_NOT_FOUND, `No ${configFileName} in ${dir}.`, {
        hint:
          'Run `medrec network init` (or `medrec network up`, which creates a default network) in this ' +
          'directory, or pass --dir.',
        cause: error,
      })
    }
    throw error
  }
  return parseNetworkConfig(text, path)
}

/** Parses the text of a medrec.yaml; `path` is only used in messages. */
export function parseNetworkConfig(text: string, path: string): NetworkConfig {
  return parseYamlConfig(text, path, networkConfigSchema, {
    notYaml:
      'Fix the YAML syntax at the lines shown, or regenerate the file with `medrec network init --force` ' +
      '(keys are kept).',
    invalid: 'Correct the fields listed; the JSON Schema in medrec.schema.json lets an editor check them as you type.',
  })
}
