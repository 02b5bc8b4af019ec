import {readFile} from 'node:fs/promises'

import type {ErrorCode} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'

/** How a document is refused: its code, what is wrong with it, and what to do. */
export type DocumentRefusal = {code: ErrorCode; message: string; hint: string}

/**
 * A JSON document one provider sends another (a node card, a consortium bundle): how its parsed
 * value is verified, and how a file that is missing or not JSON is refused. `source` (a file, or
 * a place in another document) names it in messages.
 */
export type ReceivedDocument<T> = {
  verify: (value: unknown, source: string) => Promise<T>
  notJson: (source: string) => DocumentRefusal
  missing: (path: string) => DocumentRefusal
}

/** Parses a received document's JSON text and verifies it. */
export async function parseReceivedDocument<T>(
  document: ReceivedDocument<T>,
  text: string,
  source: string,
): Promise<T> {
  const json = parseJson(text, (cause) => {
    const {code, message, hint} = document.notJson(source)
    return new MedrecError(code, message, {hint, cause})
  })
  return document.verify(json, source)
}

/** Reads a received document's file, then parses and verifies it with the path as its source. */
export async function readReceivedDocument<T>(document: ReceivedDocument<T>, path: string): Promise<T> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    const {code, message, hint} = document.missing(path)
    throw new MedrecError(code, message, {hint, cause: error})
  }
  return parseReceivedDocument(document, text, path)
}
