import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'
import {pinnedGethVersion, pinnedGethImage} from '../../src/geth/geth-version.js'
import {buildGethImage} from '../../src/image/build-geth-image.js'
import {ensureReconcilerImage} from '../../src/reconciler/build-reconciler-image.js'

/**
 * Makes `npm test` self-sufficient on a machine with Docker but no registry: builds the
 * pinned geth image with the tool's own image build (cached geth binary, or Go) when it
 * is missing, and the vote reconciler's image when the tool changed. Without a Docker
 * engine it does nothing: each e2e file then skips (or, under CI, fails) with the reason.
 */
export default async function setup(): Promise<void> {
  const engine = new DockerodeEngine()
  try {
    await engine.ping()
  } catch {
    return
  }
  // Built here once (when the tool changed) rather than by the first `network up` of a test.
  try {
    await ensureReconcilerImage(engine)
  } catch (error) {
    if (process.env.CI) throw error
    process.stderr.write(`[e2e] could not build the reconciler's image: ${(error as Error).message}\n`)
  }
  if (await engine.inspectImage(pinnedGethImage)) return
  process.stderr.write(
    `[e2e] ${pinnedGethImage} is missing; building it (geth ` +
      `v${pinnedGethVersion}, from the Go module if no binary is cached)\n`,
  )
  try {
    await buildGethImage(engine, {tag: pinnedGethImage})
  } catch (error) {
    // Under CI this is fatal; elsewhere the e2e files skip and say why.
    if (process.env.CI) throw error
    process.stderr.write(`[e2e] could not build ${pinnedGethImage}: ${(error as Error).message}\n`)
  }
}
