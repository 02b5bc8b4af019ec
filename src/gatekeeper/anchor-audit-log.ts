import {type FileHandle, open} from 'node:fs/promises'

import type {Address, Hex} from 'viem'

import {networkClients, networkWalletClient} from '../workspace/network-clients.js'
import {providerIdentity} from '../consortium/provider-identity.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {networkPaths} from '../workspace/network-files.js'
import {auditAnchorsAddress, readAuditAnchors, sendAuditAnchor} from './audit-anchors.js'
import {auditKeyPath, readAuditKey} from './audit-key.js'
import {verifyAuditLog} from './audit-log.js'
import {gatekeeperPaths} from './gatekeeper-files.js'

export type AnchorAuditLogResult = {
  file: string
  contract: Address
  entries: number
  head: Hex
  anchored: boolean
  transactionHash: Hex | null
  block: string | null
}

/**
 * Anchors a provider's audit-log head on chain, signed with the provider's account key.
 * The log is synced to disk and verified first (chain, MACs and earlier anchors): a
 * head is never anchored over a log that already fails. A line still being written by
 * a running gatekeeper is left for its next anchor. An unchanged head is not sent again.
 */
export async function anchorAuditLog(options: {
  dir: string
  provider: string
  file?: string
  keyFile?: string
}): Promise<AnchorAuditLogResult> {
  const paths = networkPaths(options.dir)
  const file = options.file ?? gatekeeperPaths(paths, options.provider).auditLog
  const macKey = await readAuditKey(options.keyFile ?? auditKeyPath(paths, options.provider))
  const {network, chain, publicClient} = await networkClients(options.dir)
  const contract = auditAnchorsAddress(network)
  await syncToDisk(file)
  const anchors = await readAuditAnchors({
    publicClient,
    anchors: contract,
    providerId: providerIdentity(options.provider),
  })
  const result = await verifyAuditLog(file, {macKey, anchors, ignoreIncompleteTail: true})
  if (!result.ok) {
    throw new MedrecError(
      errorCodes.AUDIT_LOG_CORRUPT,
      `Not anchoring ${file}: it fails verification at line ${result.problem?.line}: ${result.problem?.reason}.`,
      {
        hint: 'Run `medrec gatekeeper audit verify` and keep the file as evidence.',
      },
    )
  }
  if (result.entries === 0 || result.lastHash === null) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${file} has no entries yet: there is nothing to anchor.`)
  }
  const head = {entries: result.entries, hash: result.lastHash}
  if (result.anchors.some((a) => a.entries === head.entries && a.status === 'matched')) {
    return {file, contract, entries: head.entries, head: head.hash, anchored: false, transactionHash: null, block: null}
  }
  const walletClient = await networkWalletClient(network, chain, options.provider)
  const sent = await sendAuditAnchor({publicClient, walletClient, anchors: contract, head})
  return {file, contract, entries: head.entries, head: head.hash, anchored: true, ...sent}
}

/** A running gatekeeper does not sync each line; an anchor past what a crash keeps would look like tampering. */
async function syncToDisk(file: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(file, 'r')
  } catch (error) {
    throw new MedrecError(
      errorCodes.FILE_ACCESS,
      `Cannot read the audit log ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      {hint: 'Check the path of the audit log and its permissions.', cause: error},
    )
  }
  try {
    await handle.datasync()
  } finally {
    await handle.close()
  }
}
