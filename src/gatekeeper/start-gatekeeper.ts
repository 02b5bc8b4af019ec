import {access, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {FastifyInstance} from 'fastify'
import {getAddress, type Address, type Hex, type PublicClient} from 'viem'

import {networkWalletClient} from '../workspace/network-clients.js'
import {providerIdentity} from '../consortium/provider-identity.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar} from '../registrar/open-registrar.js'
import {auditAnchorsAddress, sendAuditAnchor, type AuditAnchoringEvent} from './audit-anchors.js'
import {auditKeyPath, loadOrCreateAuditKey} from './audit-key.js'
import {chainHeadAgeBoundMs} from './chain-access.js'
import {ensureGatekeeperDir} from './gatekeeper-files.js'
import {acquireGatekeeperLock} from './gatekeeper-lock.js'
import type {GatekeeperLimits} from './gatekeeper-server.js'
import {openRecordStore, type RecordStoreSpec} from './open-record-store.js'
import type {RecordStore} from './record-store.js'
import {serveGatekeeper, type ServeGatekeeperOptions} from './serve-gatekeeper.js'

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
  /** The Clique period the head-age bound is derived from; default: the network's (medrec.yaml). */
  cliquePeriodSeconds?: number
  /** Overrides the head-age bound (ms). */
  maxHeadAgeMs?: number
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
  /** How old a head may be before requests are refused (ms). */
  maxHeadAgeMs: number
  app: FastifyInstance
  close(): Promise<void>
}

/**
 * Starts a provider's gatekeeper: reads the Registrar through the network's RPC node,
 * takes the provider's lock (one gatekeeper per provider in a network directory), opens
 * the record store, and serves (serve-gatekeeper.ts).
 */
export async function startGatekeeper(options: StartGatekeeperOptions): Promise<RunningGatekeeper> {
  const context = await openRegistrar(options.dir)
  const id = providerIdentity(options.provider)
  const participant = await context.publicClient
    .readContract({address: context.registrar, abi: registrarAbi, functionName: 'participant', args: [id]})
    .catch((error: unknown) => {
      throw new MedrecError(errorCodes.RPC_FAILED, 'Cannot read the Registrar through the RPC node.', {
        hint: 'Check `medrec network status`.',
        cause: error,
      })
    })
  if (participant.kind !== 2) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${options.provider} is not a provider of this consortium.`, {
      hint: 'Add it with `medrec provider add NAME`; see `medrec provider list`.',
    })
  }
  const account = getAddress(participant.account)
  const tls = options.tls ? await readTls(options.tls) : undefined
  const files = await ensureGatekeeperDir(context.network.paths, options.provider)
  // The audit log's own lock (in serveGatekeeper) does not cover a second run with another --audit-log.
  const lock = await acquireGatekeeperLock(join(files.dir, 'gatekeeper.lock'), options.provider)
  const cleanup: (() => Promise<void>)[] = [() => lock.release()]
  try {
    const store = await openRecordStore(options.store ?? {kind: 'sqlite', path: files.store})
    cleanup.unshift(() => store.close())
    const auditPath = options.auditLog ?? files.auditLog
    const cliquePeriodSeconds = options.cliquePeriodSeconds ?? context.network.config.network.period
    const maxHeadAgeMs = options.maxHeadAgeMs ?? chainHeadAgeBoundMs(cliquePeriodSeconds)
    const auditKeyFile = options.auditKeyFile ?? auditKeyPath(context.network.paths, options.provider)
    const auditKey = await loadOrCreateAuditKey(auditKeyFile, auditPath)
    const anchoring = await anchoringPlan(context, options, account)
    const served = await serveGatekeeper({
      publicClient: context.publicClient as unknown as PublicClient,
      chainId: context.chain.id,
      registrar: context.registrar,
      providerId: id,
      providerLabel: options.provider,
      cliquePeriodSeconds,
      maxHeadAgeMs,
      store,
      auditPath,
      auditKey,
      ...('send' in anchoring
        ? {anchoring: {everyMs: anchoring.everySeconds * 1000, send: anchoring.send, onEvent: options.onAnchor}}
        : {}),
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8600,
      tls,
      limits: options.limits,
    })
    cleanup.unshift(() => served.close())
    const close = async () => {
      for (const step of cleanup.splice(0)) await step().catch(() => undefined)
    }
    return {
      url: served.url,
      provider: {name: options.provider, id, account},
      store: store.kind,
      auditLog: auditPath,
      auditKeyFile,
      anchoring: 'send' in anchoring ? {contract: anchoring.contract, everySeconds: anchoring.everySeconds} : anchoring,
      block: served.block.toString(),
      maxHeadAgeMs,
      app: served.app,
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
type AnchorSender = NonNullable<ServeGatekeeperOptions['anchoring']>['send']

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
  if (
    !(await access(keyFiles.keystore).then(
      () => true,
      () => false,
    ))
  ) {
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
      throw new MedrecError(
        errorCodes.FILE_ACCESS,
        `Cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
        {hint: `Give a PEM ${what} file with --tls-${what === 'certificate' ? 'cert' : 'key'}.`, cause: error},
      )
    })
  return {cert: await read(tls.certFile, 'certificate'), key: await read(tls.keyFile, 'key')}
}
