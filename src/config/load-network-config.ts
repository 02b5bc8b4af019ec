import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {parseDocument} from 'yaml'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {configFileName, formatIssuePath, networkConfigSchema, type NetworkConfig} from './network-config.js'

/** Reads and validates `medrec.yaml` in `dir`, reporting every problem at once. */
export async function loadNetworkConfig(dir: string): Promise<NetworkConfig> {
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
  const document = parseDocument(text, {prettyErrors: true, uniqueKeys: true})
  if (document.errors.length > 0) {
    throw new MedrecError(errorCodes.CONFIG_NOT_YAML, `${path} is not valid YAML.`, {
      details: document.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
      hint:
        'Fix the YAML syntax at the lines shown, or regenerate the file with `medrec network init --force` ' +
        '(keys are kept).',
    })
  }
  const result = networkConfigSchema.safeParse(document.toJS())
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${describeIssue(issue)}`)
    throw new MedrecError(
      errorCodes.CONFIG_INVALID,
      `${path} has ${details.length} problem${details.length === 1 ? '' : 's'}.`,
      {
        details,
        hint: 'Correct the fields listed; the JSON Schema in medrec.schema.json lets an editor check them as you type.',
      },
    )
  }
  return result.data
}

function describeIssue(issue: {code: string; message: string; keys?: string[]}): string {
  if (issue.code === 'unrecognized_keys' && issue.keys)
    return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  return issue.message
}
