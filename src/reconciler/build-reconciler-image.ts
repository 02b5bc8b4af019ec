import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive} from '../docker/tar-archive.js'
import {runProbeContainer} from '../docker/run-probe-container.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {reconcilerImageContext} from './reconciler-image-context.js'

/** The tool's package directory: dist/reconciler/ (or src/reconciler/ under tests) is two levels down. */
const packageRoot = fileURLToPath(new URL('../../', import.meta.url))
const dockerfilePath = fileURLToPath(new URL('../../docker/reconciler.Dockerfile', import.meta.url))
/** Names the content an image was built from, so a changed tool is never run from an old image. */
const contextLabel = 'org.medrec.reconciler-context'

/** The reconciler image's tag for this version of the tool. */
export async function reconcilerImageTag(): Promise<string> {
  const {version} = JSON.parse(await readFile(`${packageRoot}package.json`, 'utf8')) as {version: string}
  return `medrec/reconciler:${version}`
}

export type ReconcilerImage = {
  tag: string
  imageId: string
  /** The build context's hash (label org.medrec.reconciler-context). */
  context: string
  /** built: made now; current: the image with this content was there already. */
  action: 'built' | 'current'
  sizeBytes: number
  /** Time the build took (0 when current). */
  buildMs: number
}

/**
 * Makes sure `medrec/reconciler:VERSION` exists and holds this tool as it is now (the
 * context's hash, a label); builds it locally otherwise (no registry): the running Node and
 * its libraries, the compiled loop and its packages. A new image is run once (`check`),
 * which loads every module the loop imports.
 */
export async function ensureReconcilerImage(
  engine: ContainerEngine,
  options: {progress?: ProgressListener; force?: boolean} = {},
): Promise<ReconcilerImage> {
  const progress = options.progress ?? silentProgress
  const tag = await reconcilerImageTag()
  const context = await reconcilerImageContext({root: packageRoot})
  const existing = await engine.inspectImage(tag)
  if (existing && existing.labels[contextLabel] === context.hash && !options.force) {
    return {
      tag,
      imageId: existing.id,
      context: context.hash,
      action: 'current',
      sizeBytes: existing.sizeBytes,
      buildMs: 0,
    }
  }
  const started = Date.now()
  await runStep(
    progress,
    'reconciler-image',
    `Building image ${tag} (${Math.round(context.bytes / 1_000_000)} MB from this machine's Node and the tool)`,
    async () => {
      const archive = createTarArchive([
        {path: 'Dockerfile', content: await readFile(dockerfilePath), mode: 0o644},
        ...context.entries,
      ])
      await engine.buildImage(archive, tag, {
        [labelKeys.managed]: 'true',
        [contextLabel]: context.hash,
        'org.opencontainers.image.description': `MedRec vote reconciler ${context.version}, built locally by medrec`,
      })
      await checkReconcilerImage(engine, tag)
    },
  )
  const buildMs = Date.now() - started
  const built = await engine.inspectImage(tag)
  // The image this one replaces is left without a tag; it goes unless a container still runs
  // it (that container is replaced by the next `network up`, and the image stays until then).
  if (existing && existing.id !== built?.id) await engine.removeImage(existing.id).catch(() => {})
  return {
    tag,
    imageId: built?.id ?? '',
    context: context.hash,
    action: 'built',
    sizeBytes: built?.sizeBytes ?? 0,
    buildMs,
  }
}

/** Runs `check` in a throwaway container of the image: Node starts and loads every module the loop needs. */
async function checkReconcilerImage(engine: ContainerEngine, tag: string): Promise<void> {
  const {exitCode, output} = await runProbeContainer(engine, tag, ['check'])
  if (exitCode !== 0 || !output.includes('"ok":true')) {
    throw new MedrecError(
      errorCodes.RECONCILER_IMAGE_FAILED,
      `The reconciler image ${tag} does not start (exit code ${exitCode}).`,
      {
        details: output.trim().split('\n').slice(-5),
        hint:
          "The image holds this machine's Node binary, which must match the Docker engine's platform; " +
          'else set reconciler.enabled: false in medrec.yaml.',
      },
    )
  }
}
