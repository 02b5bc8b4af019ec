import {readFile} from 'node:fs/promises'

import type {FastifyInstance} from 'fastify'
import {getAddress, type Address, type Hex} from 'viem'

import {providerIdentity} from '../consortium/provider-identity.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openRegistrar} from '../registrar/open-registrar.js'
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
  tls?: {certFile: string; keyFile: string}
  limits?: Partial<GatekeeperLimits>
}

export type RunningGatekeeper = {
  url: string
  provider: {name: string; id: Hex; account: Address}
  store: RecordStore['kind']
  auditLog: string
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
    const audit: AuditLog = await openAuditLog(auditPath)
    cleanup.unshift(() => audit.close())
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
      block: head.number.toString(),
      app,
      close,
    }
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined)
    throw error
  }
}

async function readTls(tls: {certFile: string; keyFile: string}): Promise<{cert: Buffer; key: Buffer}> {
  const read = (path: string, what: string) =>
    readFile(path).catch((error: unknown) => {
      throw new MedrecError(errorCodes.FILE_ACCESS, `Cannot read the TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, {hint: `Give a PEM ${what} file with --tls-${what === 'certificate' ? 'cert' : 'key'}.`, cause: error})
    })
  return {cert: await read(tls.certFile, 'certificate'), key: await read(tls.keyFile, 'key')}
}
