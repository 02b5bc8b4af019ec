import {readFile} from 'node:fs/promises'

import type {Hex} from 'viem'
import {z} from 'zod'

import type {ErrorCode} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'

/** A received document's `signature`: 65 bytes (r ‖ s ‖ v) as 0x and 130 hex digits. */
export const documentSignatureSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte hex signature')
  .transform((signature) => signature as Hex)

/**
 * A JSON document one provider sends another (a node card, a consortium bundle): how its parsed
 * value is verified, and the words of the refusals every received document shares: a path with
 * no file, and text that is not JSON.
 */
export type ReceivedDocument<T> = {
  /** What the document is, in "There is no KIND at PATH." and "SOURCE is not JSON, so not a KIND.": "node card". */
  kind: string
  verify: (value: unknown, source: string) => Promise<T>
  /** `invalid` refuses text that is not JSON, as `verify` refuses JSON that is not the document; `missing`, no file. */
  codes: {invalid: ErrorCode; missing: ErrorCode}
  /**
   * Where a good copy comes from, in "Pass ORIGIN, unchanged." and "Check the path: a KIND is ORIGIN.":
   * "the bundle file a member's `medrec consortium export` wrote".
   */
  origin: string
}

/** Reading and writing one kind of received document; `source` (a file, or a place in another document) names it. */
export type ReceivedDocumentFile<T> = {
  /** Parses the document's JSON text and verifies it. */
  parse: (text: string, source: string) => Promise<T>
  /** Reads the document's file, then parses and verifies it with the path as its source. */
  read: (path: string) => Promise<T>
  /** The document as a file's text: indented JSON (its signature covers the content, not the layout). */
  render: (document: T) => string
}

/** The parse, read and render of one kind of received document. */
export function receivedDocumentFile<T>(document: ReceivedDocument<T>): ReceivedDocumentFile<T> {
  const parse = async (text: string, source: string): Promise<T> => {
    const json = parseJson(
      text,
      (cause) =>
        new MedrecError(document.codes.invalid, `${source} is not JSON, so not a ${document.kind}.`, {
          hint: `Pass ${document.origin}, unchanged.`,
          cause,
        }),
    )
    return document.verify(json, source)
  }
  const read = async (path: string): Promise<T> => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      throw new MedrecError(document.codes.missing, `There is no ${document.kind} at ${path}.`, {
        hint: `Check the path: a ${document.kind} is ${document.origin}.`,
        cause: error,
      })
    }
    return parse(text, path)
  }
  const render = (value: T): string => `${JSON.stringify(value, null, 2)}\n`
  return {parse, read, render}
}
