import {networkClients} from '../workspace/network-clients.js'
import {providerIdentity} from '../consortium/provider-identity.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {networkPaths} from '../workspace/network-files.js'
import {auditAnchorsAddress, readAuditAnchors} from './audit-anchors.js'
import {auditKeyPath, readAuditKey} from './audit-key.js'
import {verifyAuditLog, type AuditAnchor, type AuditLogVerification} from './audit-log.js'
import {gatekeeperPaths} from './gatekeeper-files.js'

export type CheckAuditLogOptions = {
  dir: string
  /** The provider whose log it is: its default log and key, and its anchors on chain. */
  provider?: string
  /** The log file (default: the provider's). */
  file?: string
  /** The audit key file (default: the provider's). */
  keyFile?: string
  /** Check hashes and anchors only, for an auditor who is not given the key. */
  skipMac?: boolean
  /** Do not read anchors from the chain. */
  skipAnchors?: boolean
  /** Ignore anchors before this block (a log deliberately started afresh). */
  fromBlock?: bigint
}

export type CheckAuditLogResult = AuditLogVerification & {
  file: string
  keyFile: string | null
  /** Whether the provider's anchors were read from the chain. */
  anchorsRead: boolean
  /** Lines after the last matched anchor: protected by their MACs only. Null when no anchors were read. */
  unanchored: number | null
}

/**
 * Verifies a gatekeeper's audit log: the hash chain, every line's MAC (unless skipped),
 * and, for a provider, every anchor it recorded on chain. Returns the verification;
 * the caller decides what a failure means.
 */
export async function checkAuditLog(options: CheckAuditLogOptions): Promise<CheckAuditLogResult> {
  if (options.provider === undefined && options.file === undefined) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'Say which audit log to check: --provider NAME or --file PATH.')
  }
  const paths = networkPaths(options.dir)
  const file = options.file ?? gatekeeperPaths(paths, options.provider!).auditLog
  let keyFile: string | null = null
  if (!options.skipMac) {
    keyFile = options.keyFile ?? (options.provider === undefined ? null : auditKeyPath(paths, options.provider))
    if (keyFile === null) {
      throw new MedrecError(
        errorCodes.INVALID_ARGUMENT,
        "Checking a log's MACs needs its audit key: give --key-file (or --provider, for the provider's own).",
        {
          hint: 'An auditor without the key can check the hash chain and the anchors with --skip-mac.',
        },
      )
    }
  }
  const macKey = keyFile === null ? undefined : await readAuditKey(keyFile)
  let anchors: AuditAnchor[] = []
  const anchorsRead = options.provider !== undefined && !options.skipAnchors
  if (anchorsRead) {
    const {network, publicClient} = await networkClients(options.dir)
    anchors = await readAuditAnchors({
      publicClient,
      anchors: auditAnchorsAddress(network),
      providerId: providerIdentity(options.provider!),
      fromBlock: options.fromBlock,
    })
  }
  const result = await verifyAuditLog(file, {macKey, anchors})
  const lastAnchored = Math.max(0, ...result.anchors.filter((a) => a.status === 'matched').map((a) => a.entries))
  return {...result, file, keyFile, anchorsRead, unanchored: anchorsRead ? result.entries - lastAnchored : null}
}
