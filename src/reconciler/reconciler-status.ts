import {reconcilerEnabled} from '../config/network-profile.js'
import type {ContainerEngine, ContainerInfo} from '../docker/container-engine.js'
import {pollUntil} from '../wait/poll-until.js'
import type {NetworkIdentity} from '../workspace/load-network.js'
import {reconcilerDataDir, reconcilerStatusFileName} from '../workspace/reconciler-names.js'
import {findReconcilerContainer} from './deploy-reconciler.js'
import {parseReconcilerStatus, type ReconcilerStatus} from './reconciler-loop.js'

/**
 * alive: running, heartbeat fresh; starting: running, no heartbeat yet; unhealthy: running,
 * heartbeat stale (or Docker's HEALTHCHECK failing); restarting: Docker is restarting it
 * after a crash; stopped; missing: no container; disabled: turned off in medrec.yaml.
 */
export type ReconcilerLiveness = 'alive' | 'starting' | 'unhealthy' | 'restarting' | 'stopped' | 'missing' | 'disabled'

export type ReconcilerReport = {
  status: ReconcilerLiveness
  /** Docker's state of its container, or "missing". */
  container: string
  /** Docker's HEALTHCHECK verdict (the heartbeat, checked every 15 s), when it has one. */
  health: 'starting' | 'healthy' | 'unhealthy' | null
  /** Times Docker's restart policy restarted it. */
  restarts: number
  heartbeatAgeSeconds: number | null
  /** The last reconcile that had a reason (restart, checkpoint, change, periodic check). */
  lastReconcileAt: string | null
  /** Its last action, as logged ("sealer-2 restarted; re-cast vote +0x… on sealer-2"). */
  lastAction: string | null
  lastError: string | null
}

/** Decides the reconciler's liveness from plain data (its container and heartbeat). */
export function reconcilerLiveness(input: {
  enabled: boolean
  container: Pick<ContainerInfo, 'state' | 'health'> | undefined
  heartbeatAgeMs: number | undefined
  staleAfterMs: number
  /** When the heartbeat's loop started, against the container's start: a heartbeat from a previous run is not one. */
  fromCurrentRun: boolean
}): ReconcilerLiveness {
  const {container} = input
  if (!container) return input.enabled ? 'missing' : 'disabled'
  if (container.state === 'restarting') return 'restarting'
  if (container.state !== 'running') return 'stopped'
  if (input.heartbeatAgeMs === undefined || !input.fromCurrentRun) return 'starting'
  if (input.heartbeatAgeMs > input.staleAfterMs || container.health === 'unhealthy') return 'unhealthy'
  return 'alive'
}

/** The reconciler as `network status` shows it: Docker's view and its own heartbeat. Never changes anything. */
export async function readReconcilerReport(
  engine: ContainerEngine,
  network: NetworkIdentity,
): Promise<ReconcilerReport> {
  const container = await findReconcilerContainer(engine, network)
  const status = container ? await readReconcilerStatusFile(engine, container.id) : undefined
  const ageMs = status ? Math.max(0, Date.now() - Date.parse(status.heartbeatAt)) : undefined
  const startedAt = container?.startedAt ? Date.parse(container.startedAt) : undefined
  const fromCurrentRun =
    status !== undefined && (startedAt === undefined || Date.parse(status.startedAt) >= startedAt - 1000)
  return {
    status: reconcilerLiveness({
      enabled: reconcilerEnabled(network.config),
      container,
      heartbeatAgeMs: ageMs,
      staleAfterMs: status?.staleAfterMs ?? 60_000,
      fromCurrentRun,
    }),
    container: container?.state ?? 'missing',
    health: container?.health ?? null,
    restarts: container?.restartCount ?? 0,
    heartbeatAgeSeconds: ageMs === undefined ? null : Math.round(ageMs / 1000),
    lastReconcileAt: status?.lastReconcile?.at ?? null,
    lastAction: status?.lastAction?.line ?? null,
    lastError: status?.lastError ?? null,
  }
}

/**
 * The status file in the reconciler's container, or undefined while it has none it can read.
 * The loop replaces the file every cycle, and a read that crosses a replacement is cut short,
 * so a file that does not read whole is read again, 150 ms later: three reads at most, however
 * long each takes (a remote engine's reads are slow; a deadline would cut them to fewer).
 */
export async function readReconcilerStatusFile(
  engine: Pick<ContainerEngine, 'readFile'>,
  containerId: string,
): Promise<ReconcilerStatus | undefined> {
  const path = `${reconcilerDataDir}/${reconcilerStatusFileName}`
  const read = await pollUntil(
    `a whole ${path}`,
    Number.POSITIVE_INFINITY,
    async (attempt) => {
      const file = await engine.readFile(containerId, path).catch(() => undefined)
      const status = file ? parseReconcilerStatus(file.toString('utf8')) : undefined
      // Wrapped, so that the third read ends the wait with what it found, a status or none.
      return status !== undefined || attempt >= 2 ? {status} : undefined
    },
    {interval: 150},
  )
  return read.status
}
