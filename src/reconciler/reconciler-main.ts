// The reconciler container's entry point (ENTRYPOINT of docker/reconciler.Dockerfile). Its
// static imports are the whole program, so `check` (run once on each new image) proves that
// the image holds every module and package it needs.

import {DockerodeEngine} from '../docker/dockerode-engine.js'
import {reconcilerDataDir} from '../workspace/reconciler-names.js'
import {runReconcilerLoop} from './reconciler-loop.js'

const [command = 'run', dataDir = reconcilerDataDir] = process.argv.slice(2)

if (command === 'check') {
  process.stdout.write(`${JSON.stringify({ok: true, node: process.version, arch: process.arch})}\n`)
} else if (command === 'run') {
  const controller = new AbortController()
  // docker stop sends SIGTERM: finish the cycle's call, then leave.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort())
  const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
  await runReconcilerLoop({
    engine: new DockerodeEngine(),
    dataDir,
    signal: controller.signal,
    log: (line) => process.stdout.write(`${stamp()} ${line}\n`),
    // A hung Docker or IPC call: exit, and the restart policy starts a fresh process.
    onStuck: () => process.exit(70),
  })
} else {
  process.stderr.write(`usage: reconciler-main.js [run|check] [DATA_DIR]\n`)
  process.exitCode = 2
}
