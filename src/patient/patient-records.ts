import {readFile} from 'node:fs/promises'

import type {Address, Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {fetchRecords, subscribeNotifications, type FetchRecordsResult} from '../gatekeeper/gatekeeper-client.js'
import {networkPaths, unlockNodeKey} from '../workspace/network-files.js'
import {acceptedRelationships, routeTo, type GatekeeperRoute} from './accepted-relationships.js'
import {PatientCache, patientCachePath} from './patient-cache.js'

export type RecordsReport = {requester: Address; results: (FetchRecordsResult & {endpoint: string})[]}

async function signingKey(dir: string, as: string): Promise<{privateKey: Hex; address: Address}> {
  return unlockNodeKey(networkPaths(dir), as)
}

async function readCa(caFile: string | undefined): Promise<Buffer | undefined> {
  if (!caFile) return undefined
  return readFile(caFile).catch((error: unknown) => {
    throw new MedrecError(errorCodes.FILE_ACCESS, `Cannot read the CA file ${caFile}.`, {
      hint: 'Give a PEM certificate file with --ca.',
      cause: error,
    })
  })
}

/** Fetches (and decrypts) the records of one route, signed with `as`'s key. */
async function fetchRoute(
  route: GatekeeperRoute,
  key: {privateKey: Hex},
  resourceTypes: string[] | undefined,
  ca: Buffer | undefined,
): Promise<FetchRecordsResult & {endpoint: string}> {
  const result = await fetchRecords({...route, privateKey: key.privateKey, resourceTypes, ca})
  return {...result, endpoint: route.endpoint}
}

/** Who asks: the key `as` of the network in `dir`, trusting gatekeeper certificates signed by `caFile` if given. */
export type RecordsRequester = {dir: string; as: string; caFile?: string}

/** The requester's signing key and CA, read once for all its requests. */
async function openRequester(
  requester: RecordsRequester,
): Promise<{key: {privateKey: Hex; address: Address}; ca?: Buffer}> {
  return {key: await signingKey(requester.dir, requester.as), ca: await readCa(requester.caFile)}
}

/** The records behind each route `findRoutes` gives, fetched (and decrypted) as `requester`. */
async function recordsOf(
  requester: RecordsRequester,
  findRoutes: () => Promise<GatekeeperRoute[]>,
  resourceTypes: string[] | undefined,
): Promise<RecordsReport> {
  const {key, ca} = await openRequester(requester)
  const routes = await findRoutes()
  const results = await Promise.all(routes.map((route) => fetchRoute(route, key, resourceTypes, ca)))
  return {requester: key.address, results}
}

/**
 * The patient's records from the gatekeeper of every accepted relationship, each request
 * signed with the patient's key and each answer decrypted with it. A gatekeeper that is
 * down or refuses is reported beside the others, not fatal.
 */
export async function patientRecords(options: RecordsRequester & {resourceTypes?: string[]}): Promise<RecordsReport> {
  const routes = () => acceptedRelationships({dir: options.dir, account: options.as})
  return recordsOf(options, routes, options.resourceTypes)
}

/** One relationship's records, as any requester the chain allows (a viewer, say). */
export async function queryRelationship(
  options: RecordsRequester & {relationship: string; resourceTypes?: string[]},
): Promise<RecordsReport> {
  const route = async () => [await routeTo({dir: options.dir, relationship: options.relationship})]
  return recordsOf(options, route, options.resourceTypes)
}

export type SyncEvent =
  | {
      type: 'fetched'
      relationship: Address
      endpoint: string
      status: FetchRecordsResult['status']
      changed: number
      message?: string
    }
  | {type: 'subscribed'; relationship: Address; endpoint: string}
  /** reason: the gatekeeper's event ('access-ended', 'unavailable'), or 'failed' with the error's code and message. */
  | {type: 'subscription-ended'; relationship: Address; reason: string; code?: string; message?: string}

export type SyncReport = {
  requester: Address
  cache: string
  relationships: number
  changed: number
  records: number
  events: SyncEvent[]
}

/**
 * Keeps the patient's local cache of its records: fetches from every accepted
 * relationship's gatekeeper, then (with `followMs`) subscribes to their change
 * notifications and re-fetches what changed, for that long. Nothing touches the chain.
 */
export async function syncPatientRecords(
  options: RecordsRequester & {followMs?: number; onEvent?: (event: SyncEvent) => void; signal?: AbortSignal},
): Promise<SyncReport> {
  const paths = networkPaths(options.dir)
  const {key, ca} = await openRequester(options)
  const routes = await acceptedRelationships({dir: options.dir, account: options.as})
  const cache = await PatientCache.open(paths, options.as)
  const events: SyncEvent[] = []
  const emit = (event: SyncEvent) => {
    events.push(event)
    options.onEvent?.(event)
  }
  let changed = 0
  const pull = async (route: GatekeeperRoute, resourceTypes?: string[]) => {
    const result = await fetchRoute(route, key, resourceTypes, ca)
    const n = result.status === 'ok' ? cache.upsert(route.relationship, result.block.number, result.records) : 0
    changed += n
    emit({
      type: 'fetched',
      relationship: route.relationship,
      endpoint: route.endpoint,
      status: result.status,
      changed: n,
      ...(result.status === 'ok' ? {} : {message: result.message}),
    })
  }
  try {
    for (const route of routes) await pull(route)
    if (options.followMs && options.followMs > 0) {
      // One gatekeeper refused, unreachable or misbehaving ends its own subscription, never the others'.
      const ended = (route: GatekeeperRoute, error: unknown) =>
        emit({
          type: 'subscription-ended',
          relationship: route.relationship,
          reason: 'failed',
          ...(error instanceof MedrecError ? {code: error.code} : {}),
          message: (error as Error).message,
        })
      const streams = await Promise.all(
        routes.map(async (route) => {
          try {
            const stream = await subscribeNotifications({...route, privateKey: key.privateKey, ca})
            emit({type: 'subscribed', relationship: route.relationship, endpoint: route.endpoint})
            return {route, stream}
          } catch (error) {
            ended(route, error)
            return {route, stream: undefined}
          }
        }),
      )
      const stopAll = () => {
        for (const s of streams) s.stream?.close()
      }
      const timer = setTimeout(stopAll, options.followMs)
      options.signal?.addEventListener('abort', stopAll)
      await Promise.all(
        streams.map(async ({route, stream}) => {
          if (!stream) return
          try {
            for await (const event of stream.events) {
              if (event.event === 'record-changed') await pull(route, [String(event.data.resourceType)])
              else if (event.event === 'access-ended' || event.event === 'unavailable') {
                emit({type: 'subscription-ended', relationship: route.relationship, reason: event.event})
                stream.close()
              }
            }
          } catch (error) {
            stream.close()
            ended(route, error)
          }
        }),
      )
      clearTimeout(timer)
    }
    return {
      requester: key.address,
      cache: patientCachePath(paths, options.as),
      relationships: routes.length,
      changed,
      records: cache.list().length,
      events,
    }
  } finally {
    cache.close()
  }
}

/** What the patient's cache holds now. */
export async function cachedPatientRecords(options: {
  dir: string
  as: string
}): Promise<ReturnType<PatientCache['list']>> {
  const cache = await PatientCache.open(networkPaths(options.dir), options.as)
  try {
    return cache.list()
  } finally {
    cache.close()
  }
}
