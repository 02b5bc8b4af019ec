import {getAddress, type Address, type Hex} from 'viem'

import type {NetworkPublicClient, NetworkWalletClient} from '../workspace/network-clients.js'
import {auditAnchorsAbi} from '../contracts/abi/audit-anchors.js'
import {sendContractTransaction} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import type {AuditAnchor, AuditHead, AuditLog} from './audit-log.js'

/** The network's AuditAnchors contract, or a next step when it is not deployed. */
export function auditAnchorsAddress(network: LoadedNetwork): Address {
  const address = network.state.contracts.AuditAnchors
  if (!address) {
    throw new MedrecError(
      errorCodes.CONTRACTS_NOT_DEPLOYED,
      'This network has no AuditAnchors contract, so audit-log heads cannot be anchored or checked.',
      {
        hint: 'Run `medrec contracts deploy` (it adds AuditAnchors and keeps the contracts already there).',
      },
    )
  }
  return getAddress(address)
}

/** Every anchor `providerId` recorded (from `fromBlock` on), oldest first, read through the RPC node. */
export async function readAuditAnchors(options: {
  publicClient: NetworkPublicClient
  anchors: Address
  providerId: Hex
  fromBlock?: bigint
}): Promise<AuditAnchor[]> {
  const logs = await options.publicClient
    .getContractEvents({
      address: options.anchors,
      abi: auditAnchorsAbi,
      eventName: 'AuditAnchored',
      args: {providerId: options.providerId},
      fromBlock: options.fromBlock ?? 0n,
      toBlock: 'latest',
      strict: true,
    })
    .catch((error: unknown) => {
      throw new MedrecError(errorCodes.RPC_FAILED, 'Cannot read the audit anchors through the RPC node.', {
        hint: 'Check that the network is up: `medrec network status`.',
        cause: error,
      })
    })
  return logs.map((log) => ({
    // A count past 2^53 cannot match any real log; it stays a (huge) number and is reported missing.
    entries: Number(log.args.entries),
    head: log.args.head,
    block: String(log.blockNumber),
    transactionHash: log.transactionHash,
    time: new Date(Number(log.args.time) * 1000).toISOString(),
  }))
}

/** Sends one anchor of `head` from the provider's account and waits for it to be mined. */
export async function sendAuditAnchor(options: {
  publicClient: NetworkPublicClient
  walletClient: NetworkWalletClient
  anchors: Address
  head: AuditHead
}): Promise<{transactionHash: Hex; block: string}> {
  const {hash, receipt} = await sendContractTransaction({
    publicClient: options.publicClient,
    walletClient: options.walletClient,
    address: options.anchors,
    abi: auditAnchorsAbi,
    functionName: 'anchor',
    args: [options.head.hash, BigInt(options.head.entries)],
    action: `anchor the audit log's head (entry ${options.head.entries})`,
  })
  return {transactionHash: hash, block: String(receipt.blockNumber)}
}

export type AuditAnchoringEvent =
  | {type: 'anchored'; entries: number; head: Hex; transactionHash: Hex; block: string}
  | {type: 'anchor-failed'; entries: number; message: string}

/**
 * Anchors a running gatekeeper's log every `everyMs` (when it has grown since the last
 * anchor), and once more on stop, so a clean shutdown leaves its whole log anchored.
 * Each head is synced to disk before it is sent. A failed anchor is reported and tried
 * again at the next tick; it never stops the gatekeeper.
 */
export function startAuditAnchoring(options: {
  audit: AuditLog
  everyMs: number
  send: (head: AuditHead) => Promise<{transactionHash: Hex; block: string}>
  onEvent?: (event: AuditAnchoringEvent) => void
  /** How long stop() waits for its last anchor; default 30 s. */
  stopTimeoutMs?: number
}): {anchorNow(): Promise<void>; stop(): Promise<void>} {
  let last: AuditHead | undefined
  let running: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const tick = async (): Promise<void> => {
    let head: AuditHead | undefined
    try {
      head = await options.audit.sync()
      if (head.entries === 0 || (last !== undefined && last.entries === head.entries && last.hash === head.hash)) return
      const sent = await options.send(head)
      last = head
      options.onEvent?.({type: 'anchored', entries: head.entries, head: head.hash, ...sent})
    } catch (error) {
      options.onEvent?.({type: 'anchor-failed', entries: head?.entries ?? 0, message: (error as Error).message})
    }
  }
  // One anchor at a time: their transactions come from one account, in order.
  const anchorNow = (): Promise<void> => {
    running = (running ?? Promise.resolve()).then(tick)
    return running
  }
  const schedule = () => {
    // setTimeout takes at most 2^31-1 ms (about 24 days); beyond, Node would fire at once.
    timer = setTimeout(
      () => {
        void anchorNow().finally(() => {
          if (!stopped) schedule()
        })
      },
      Math.min(options.everyMs, 2 ** 31 - 1),
    )
    timer.unref()
  }
  schedule()

  return {
    anchorNow,
    async stop() {
      if (stopped) return
      stopped = true
      clearTimeout(timer)
      const timeoutMs = options.stopTimeoutMs ?? 30_000
      let expired: NodeJS.Timeout | undefined
      const deadline = new Promise<void>((resolve) => {
        expired = setTimeout(() => {
          options.onEvent?.({
            type: 'anchor-failed',
            entries: 0,
            message: `the last anchor was not confirmed within ${timeoutMs} ms`,
          })
          resolve()
        }, timeoutMs)
      })
      await Promise.race([anchorNow(), deadline])
      clearTimeout(expired)
    },
  }
}
