// The image's HEALTHCHECK: healthy while the loop's heartbeat (status.json, written each
// cycle) is fresh. Run by Docker every few seconds, so it loads nothing but this and the names.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {reconcilerDataDir, reconcilerStatusFileName} from '../workspace/reconciler-names.js'

const path = join(process.argv[2] ?? reconcilerDataDir, reconcilerStatusFileName)
try {
  const status = JSON.parse(readFileSync(path, 'utf8')) as {heartbeatAt?: string; staleAfterMs?: number}
  const ageMs = Date.now() - Date.parse(status.heartbeatAt ?? '')
  const limitMs = status.staleAfterMs ?? 60_000
  process.stdout.write(`heartbeat ${Math.round(ageMs / 1000)} s ago (limit ${Math.round(limitMs / 1000)} s)\n`)
  process.exitCode = ageMs <= limitMs ? 0 : 1
} catch (error) {
  process.stdout.write(`no heartbeat in ${path}: ${(error as Error).message}\n`)
  process.exitCode = 1
}
