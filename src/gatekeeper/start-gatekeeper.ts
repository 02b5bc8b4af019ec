import {access, readFile} from 'node:fs/promises'

import type {FastifyInstance} from 'fastify'
import {getAddress, type Address, type Hex} from 'viem'

import {networkWalletClient} from '../chain/network-clients.js'
import {providerIdentity} from '../consortium/provider-identity.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar} from '../registrar/open-registrar.js'
import {auditAnchorsAddress, sendAuditAnchor, startAuditAnchoring, type AuditAnchoringEvent} from './audit-anchors.js'
import {auditKeyPath, loadOrCreateAuditKey} from './audit-key.js'
import {openAuditLog, recentNonces, type AuditLog} from './audit-log.js'
import {ChainAccess} from './chain-access.js'
import {ensureGatekeeperDir} from './gatekeeper-files.js'
import {buildGatekeeperServer, defaultGatekeeperLimits, type GatekeeperLimits} from './gatekeeper-server.js'
import {NonceRegistry} from './nonce-registry.js'
import {openRecordStore, type RecordStoreSpec} from './open-record-store.js'
import type {RecordStore} from './record-store.js'

export type StartGatekeeperOptions = {
  dir: string
  /** The provider's name in the consortium (see `medrec provider list`). */
  provider: string
  host?: string
  port?: number
  /** Default: SQLite in .medrec/gatekeeper/PROVIDER/records.sqlite. */
  store?: RecordStoreSpec
  /** Default: .medrec/gatekeeper/PROVIDER/audit.log. */
  auditLog?: string
  /** The key that MACs the audit log. Default: .medrec/keys/PROVIDER/audit-mac.key, created with a new log. */
  auditKeyFile?: string
  /** Seconds between anchors of the audit log's head on chain; 0 disables. Default 300. */
  anchorEverySeconds?: number
  /** Each anchor sent, or failed; the gatekeeper keeps serving either way. */
  onAnchor?: (event: AuditAnchoringEvent) => void
  tls?: {certFile: string; keyFile: string}
  limits?: Partial<GatekeeperLimits>
}

export type RunningGatekeeper = {
  url: string
  provider: {name: string; id: Hex; account: Address}
  store: RecordStore['kind']
  auditLog: string
  auditKeyFile: string
  /** Where and how often the audit log's head is anchored, or why it is not. */
  anchoring: {contract: Address; everySeconds: number} | {disabled: string}
  block: string
  app: FastifyInstance
  close(): Promise<void>
}

/**
 * Starts a provider's gatekeeper: reads the Registrar through the network's RPC node,
 * opens the record store and the audit log, remembers the nonces it answered in the last
 * few minutes (so a restart does not reopen a replay window), and listens.
 */
export async function startGatekeeper(options: StartGatekeeperOptions): Promise<RunningGatekeeper> {
  const context = await openRegistrar(options.dir)
  const id = providerIdentity(options.provider)
  const participant = await context.publicClient.readContract({address: context.registrar, abi: registrarAbi, functionName: 'participant', args: [id]}).catch((error: unknown) => {
    throw new MedrecError(errorCodes.RPC_FAILED, 'Cannot read the Registrar through the RPC node.', {hint: 'Check `medrec network status`.', cause: error})
  })
  if (participant.kind !== 2) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${options.provider} is not a provider of this consortium.`, {hint: 'Add it with `medrec provider add NAME`; see `medrec provider list`.'})
  }
  const account = getAddress(participant.account)
  const tls = options.tls ? await readTls(options.tls) : undefined
  const files = await ensureGatekeeperDir(context.network.paths, options.provider)
  const store = await openRecordStore(options.store ?? {kind: 'sqlite', path: files.store})
  const auditPath = options.auditLog ?? files.auditLog
  const cleanup: (() => Promise<void>)[] = [() => store.close()]
  try {
    const limits = {...defaultGatekeeperLimits, ...options.limits}
    const nonces = new NonceRegistry()
    // A nonce answered before a restart stays spent until its request could have expired.
    const recent = await recentNonces(auditPath, Date.now() - (limits.maxLifetimeSeconds + 60) * 1000).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    })
    nonces.seed(recent.filter((n) => n.requester !== null).map((n) => ({requester: n.requester!, nonce: n.nonce, expiry: BigInt(Math.ceil(Date.parse(n.time) / 1000) + limits.maxLifetimeSeconds)})))
    const auditKeyFile = options.auditKeyFile ?? auditKeyPath(context.network.paths, options.provider)
    const audit: AuditLog = await openAuditLog(auditPath, {macKey: await loadOrCreateAuditKey(auditKeyFile, auditPath)})
    cleanup.unshift(() => audit.close())
    const anchoring = await anchoringPlan(context, options, account)
    // Stopped after the server (no more appends) and before the log closes, so its last anchor covers every line.
    let anchorer: ReturnType<typeof startAuditAnchoring> | undefined
    cleanup.unshift(async () => anchorer?.stop())
    const chain = new ChainAccess({publicClient: context.publicClient as never, registrar: context.registrar, providerId: id})
    const head = await chain.start().catch((error: unknown) => {
      throw new MedrecError(errorCodes.RPC_FAILED, 'The network\'s RPC node does not answer.', {hint: 'Start the network with `medrec network up`.', cause: error})
    })
    cleanup.unshift(async () => chain.stop())
    const app = await buildGatekeeperServer({chainId: context.chain.id, registrar: context.registrar, audience: account, chain, store, audit, nonces, tls, limits})
    cleanup.unshift(() => app.close())
    const host = options.host ?? '127.0.0.1'
    try {
      await app.listen({host, port: options.port ?? 8600})
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, code === 'EADDRINUSE' ? `Port ${options.port ?? 8600} on ${host} is already in use.` : `Cannot listen on ${host}:${options.port ?? 8600} (${code ?? 'error'}).`, {
        hint: 'Choose another --port or --host.',
        cause: error,
      })
    }
    // Only once serving: a start that fails sends no transaction.
    if ('send' in anchoring) {
      const everyMs = anchoring.everySeconds * 1000
      anchorer = startAuditAnchoring({audit, everyMs, send: anchoring.send, onEvent: options.onAnchor})
    }
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : options.port
    const close = async () => {
      for (const step of cleanup) await step().catch(() => undefined)
    }
    return {
      url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
      provider: {name: options.provider, id, account},
      store: store.kind,
      auditLog: auditPath,
      auditKeyFile,
      anchoring: 'send' in anchoring ? {contract: anchoring.contract, everySeconds: anchoring.everySeconds} : anchoring,
      block: head.number.toString(),
      app,
      close,
    }
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined)
    throw error
  }
}

/**
 * Whether this gatekeeper anchors its log: only with an interval, an AuditAnchors
 * contract, and the provider's own account key in this directory (the key the Registrar
 * binds to the provider; any other would be refused on chain).
 */
type AnchorSender = Parameters<typeof startAuditAnchoring>[0]['send']

async function anchoringPlan(
  context: Awaited<ReturnType<typeof openRegistrar>>,
  options: StartGatekeeperOptions,
  account: Address,
): Promise<{contract: Address; everySeconds: number; send: AnchorSender} | {disabled: string}> {
  const everySeconds = options.anchorEverySeconds ?? 300
  if (everySeconds <= 0) return {disabled: 'anchoring is off (--anchor-every 0)'}
  let contract: Address
  try {
    contract = auditAnchorsAddress(context.network)
  } catch {
    return {disabled: 'this network has no AuditAnchors contract (run `medrec contracts deploy`)'}
  }
  const keyFiles = context.network.paths.node(options.provider)
  if (!(await access(keyFiles.keystore).then(() => true, () => false))) {
    const where = 'anchor with `medrec gatekeeper audit anchor` where it is'
    return {disabled: `${options.provider}'s account key is not in this directory; ${where}`}
  }
  const walletClient = await networkWalletClient(context.network, context.chain, options.provider)
  if (walletClient.account.address !== account) {
    const binding = `the Registrar binds ${options.provider} to ${account}`
    return {disabled: `the key ${keyFiles.keystore} is ${walletClient.account.address}, but ${binding}`}
  }
  const {publicClient} = context
  const send: AnchorSender = (head) => sendAuditAnchor({publicClient, walletClient, anchors: contract, head})
  return {contract, everySeconds, send}
}

async function readTls(tls: {certFile: string; keyFile: string}): Promise<{cert: Buffer; key: Buffer}> {
  const read = (path: string, what: string) =>
    readFile(path).catch((error: unknown) => {
      throw new MedrecError(errorCodes.FILE_ACCESS, `Cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, {hint: `Give a PEM ${what} file with --tls-${what === 'certificate' ? 'cert' : 'key'}.`, cause: error})
    })
  return {cert: await read(tls.certFile, 'certificate'), key: await read(tls.keyFile, 'key')}
}
