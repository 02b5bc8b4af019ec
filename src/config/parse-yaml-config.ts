import {parseDocument} from 'yaml'
import type {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'

/**
 * Parses a YAML configuration file's text against a schema, reporting every problem at once
 * with its dotted path. `path` is only used in messages; the hints say how to fix each kind.
 */
export function parseYamlConfig<S extends z.ZodType>(
  text: string,
  path: string,
  schema: S,
  hints: {notYaml: string; invalid: string},
): z.output<S> {
  const document = parseDocument(text, {prettyErrors: true, uniqueKeys: true})
  if (document.errors.length > 0) {
    throw new MedrecError(errorCodes.CONFIG_NOT_YAML, `${path} is not valid YAML.`, {
      details: document.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
      hint: hints.notYaml,
    })
  }
  const result = schema.safeParse(document.toJS())
  if (!result.success) {
    const details = describeIssues(result.error)
    throw new MedrecError(
      errorCodes.CONFIG_INVALID,
      `${path} has ${details.length} problem${details.length === 1 ? '' : 's'}.`,
      {details, hint: hints.invalid},
    )
  }
  return result.data
}
