import type {FastifyInstance} from 'fastify'
import type {Address, Hex, PublicClient} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {startAuditAnchoring, type AuditAnchoringEvent} from './audit-anchors.js'
import {openAuditLog} from './audit-log.js'
import {ChainAccess} from './chain-access.js'
import {acquireGatekeeperLock} from './gatekeeper-lock.js'
import {buildGatekeeperServer, defaultGatekeeperLimits, type GatekeeperLimits} from './gatekeeper-server.js'
import {NonceRegistry} from './nonce-registry.js'
import type {RecordStore} from './record-store.js'
import {restoreSpentNonces} from './restore-spent-nonces.js'

/** The verifier's default clock skew; the nonce registry keeps nonces exactly that long past expiry. */
const clockSkewSeconds = 30

export type ServeGatekeeperOptions = {
  publicClient: PublicClient
  chainId: number
  registrar: Address
  /** The provider this gatekeeper answers for. */
  providerId: Hex
  /** Names the provider in messages (e.g. its name in the consortium). */
  providerLabel: string
  /** The network's Clique period (s): bounds how old a head may be (chainHeadAgeBoundMs). */
  cliquePeriodSeconds: number
  /** Overrides the head-age bound derived from the period. */
  maxHeadAgeMs?: number
  /** Opened by the caller, who also closes it. */
  store: RecordStore
  auditPath: string
  /** The key that MACs every audit line (audit-key.ts). */
  auditKey: Buffer
  /** Anchors the audit log's head on chain while serving, and once more on close. */
  anchoring?: {
    everyMs: number
    send: Parameters<typeof startAuditAnchoring>[0]['send']
    onEvent?: (event: AuditAnchoringEvent) => void
  }
  host: string
  port: number
  tls?: {cert: Buffer; key: Buffer}
  limits?: Partial<GatekeeperLimits>
  /** How often the head is read (default 100 ms). */
  chainPollMs?: number
}

export type ServedGatekeeper = {
  url: string
  app: FastifyInstance
  chain: ChainAccess
  nonces: NonceRegistry
  /** The head at start. */
  block: bigint
  /** Nonces remembered from the audit log at start. */
  restoredNonces: number
  close(): Promise<void>
}

/**
 * Runs a gatekeeper over an opened record store: takes the audit log's lock (one
 * gatekeeper per log, so one nonce registry per provider), remembers the nonces answered
 * before a restart, opens the log, follows the chain and listens.
 */
export async function serveGatekeeper(options: ServeGatekeeperOptions): Promise<ServedGatekeeper> {
  const what = `${options.providerLabel} on the audit log ${options.auditPath}`
  const lock = await acquireGatekeeperLock(`${options.auditPath}.lock`, what)
  const cleanup: (() => Promise<void>)[] = [() => lock.release()]
  const close = async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined)
  }
  try {
    const limits = {...defaultGatekeeperLimits, ...options.limits}
    const nonces = new NonceRegistry({clockSkewSeconds})
    // Read under the lock, before the log is opened: nobody else appends meanwhile.
    const restoredNonces = await restoreSpentNonces(nonces, options.auditPath, {
      maxLifetimeSeconds: limits.maxLifetimeSeconds,
      clockSkewSeconds,
    })
    const audit = await openAuditLog(options.auditPath, {macKey: options.auditKey})
    cleanup.unshift(() => audit.close())
    const chain = new ChainAccess({
      publicClient: options.publicClient,
      registrar: options.registrar,
      providerId: options.providerId,
      cliquePeriodSeconds: options.cliquePeriodSeconds,
      maxHeadAgeMs: options.maxHeadAgeMs,
      pollMs: options.chainPollMs,
    })
    const head = await chain.start().catch((error: unknown) => {
      throw new MedrecError(errorCodes.RPC_FAILED, "The network's RPC node does not answer.", {
        hint: 'Start the network with `medrec network up`.',
        cause: error,
      })
    })
    cleanup.unshift(async () => chain.stop())
    const {chainId, registrar, store, tls} = options
    const app = await buildGatekeeperServer({chainId, registrar, chain, store, audit, nonces, tls, limits})
    cleanup.unshift(() => app.close())
    const {host, port} = options
    try {
      await app.listen({host, port})
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const message =
        code === 'EADDRINUSE'
          ? `Port ${port} on ${host} is already in use.`
          : `Cannot listen on ${host}:${port} (${code ?? 'error'}).`
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
        hint: 'Choose another --port or --host.',
        cause: error,
      })
    }
    if (options.anchoring) {
      // Only once serving, so a start that fails sends no transaction. Stopped after the
      // server (no more appends) and before the log closes, so its last anchor covers every line.
      const anchorer = startAuditAnchoring({audit, ...options.anchoring})
      cleanup.splice(1, 0, () => anchorer.stop())
    }
    const address = app.server.address()
    const bound = typeof address === 'object' && address ? address.port : port
    const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`
    return {url, app, chain, nonces, block: head.number, restoredNonces, close}
  } catch (error) {
    await close()
    throw error
  }
}
