import type {ContainerEngine, ContainerInfo} from '../docker/container-engine.js'

/**
 * Whether a geth node's container has stopped or is crash looping, and if so the log lines
 * that say why: its fatal lines, else its last ones (five at most). Under a restart policy a
 * failing geth is restarted again and again, so a restart count above the one first seen
 * (kept in `baseline` under `id`, the container as the caller names it) is the sign, not an
 * exited state. Undefined while it runs.
 */
export async function gethCrashLines(
  engine: ContainerEngine,
  id: string,
  info: ContainerInfo,
  baseline: Map<string, number>,
): Promise<string[] | undefined> {
  if (!baseline.has(id)) baseline.set(id, info.restartCount)
  const crashed =
    info.state === 'exited' ||
    info.state === 'dead' ||
    info.state === 'restarting' ||
    info.restartCount > baseline.get(id)!
  if (!crashed) return undefined
  const logs = await engine.logsText(id, 30)
  const fatal = [...new Set(logs.split('\n').filter((line) => /Fatal|could not decrypt|panic/i.test(line)))]
  return (fatal.length > 0 ? fatal : logs.trim().split('\n')).slice(-5)
}
