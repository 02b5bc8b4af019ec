import {randomBytes} from 'node:crypto'
import {mkdir, open, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {writeNewPrivateFile, type NetworkPaths} from '../workspace/network-files.js'
import {auditKeyMinBytes} from './audit-log.js'

/**
 * The key that MACs a provider's audit log, beside the provider's account key in
 * .medrec/keys/PROVIDER/ and never next to the log: whoever can write the log but not
 * read this file cannot forge lines (see audit-log.ts).
 */
export function auditKeyPath(paths: NetworkPaths, provider: string): string {
  return join(paths.node(provider).dir, 'audit-mac.key')
}

/**
 * The audit key for a gatekeeper about to write `logPath`: created (32 random bytes,
 * hex, mode 0600) when neither key nor log exists yet. A log that already has lines
 * needs the key it was written with, so a missing key is then an error, never replaced.
 */
export async function loadOrCreateAuditKey(keyPath: string, logPath: string): Promise<Buffer> {
  const logHasLines = ((await stat(logPath).catch(() => undefined))?.size ?? 0) > 0
  if (!logHasLines) {
    await mkdir(dirname(keyPath), {recursive: true, mode: 0o700})
    await writeNewPrivateFile(keyPath, `${randomBytes(32).toString('hex')}\n`)
  }
  return readAuditKey(keyPath)
}

/** Reads an audit key file, refusing one that is missing, malformed, or readable by others. */
export async function readAuditKey(keyPath: string): Promise<Buffer> {
  let text: string
  let mode: number
  try {
    const handle = await open(keyPath, 'r')
    try {
      mode = (await handle.stat()).mode
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new MedrecError(errorCodes.KEY_FILE_MISSING, `The audit key ${keyPath} is missing.`, {
        hint:
          "Restore it from your backup: without it the log's MACs cannot be checked or continued. " +
          'To start over, move the log aside first; a new key is made for a new log.',
        cause: error,
      })
    }
    throw new MedrecError(errorCodes.FILE_ACCESS, `Cannot read the audit key ${keyPath} (${code ?? 'error'}).`, {
      hint: "Check the file's owner and permissions.",
      cause: error,
    })
  }
  if ((mode & 0o077) !== 0) {
    throw new MedrecError(
      errorCodes.AUDIT_KEY_INVALID,
      `The audit key ${keyPath} is readable or writable by other users (mode ${(mode & 0o777).toString(8)}).`,
      {
        hint:
          `Run \`chmod 600 ${keyPath}\`; anyone who read it could forge audit lines, ` +
          'so consider the lines written since as MAC-unprotected.',
      },
    )
  }
  const hex = text.trim()
  const key = Buffer.from(hex, 'hex')
  if (!/^[0-9a-fA-F]+$/.test(hex) || key.length < auditKeyMinBytes) {
    throw new MedrecError(
      errorCodes.AUDIT_KEY_INVALID,
      `${keyPath} does not hold a hex key of at least ${auditKeyMinBytes} bytes.`,
      {hint: 'Restore it from your backup.'},
    )
  }
  return key
}
