import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {NetworkPaths} from '../network/network-files.js'

/** Where a provider's gatekeeper keeps its default SQLite store and its audit log. */
export function gatekeeperPaths(paths: NetworkPaths, provider: string): {dir: string; store: string; auditLog: string} {
  const dir = join(paths.stateDir, 'gatekeeper', provider)
  return {dir, store: join(dir, 'records.sqlite'), auditLog: join(dir, 'audit.log')}
}

/** Creates the gatekeeper's folder, readable by its owner only (it holds records). */
export async function ensureGatekeeperDir(paths: NetworkPaths, provider: string): Promise<ReturnType<typeof gatekeeperPaths>> {
  const files = gatekeeperPaths(paths, provider)
  await mkdir(files.dir, {recursive: true, mode: 0o700})
  return files
}
