import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import type {ContainerEngine} from '../docker/container-engine.js'
import {runProbeContainer} from '../docker/run-probe-container.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  explainUnsupportedGeth,
  explainUnsupportedImageTag,
  parseGethVersionOutput,
  pinnedGethImage,
} from '../geth/geth-version.js'

export type CheckedGethImage = {reference: string; imageId: string; version: string; pulled: boolean}

/**
 * Runs `geth version` in a throwaway container of the image. The tag is only a name:
 * this is how the tool knows what it is about to run.
 */
export async function readGethVersionFromImage(engine: ContainerEngine, reference: string): Promise<string> {
  const {exitCode, output} = await runProbeContainer(engine, reference, ['version'])
  const version = parseGethVersionOutput(output)
  if (exitCode !== 0 || !version) {
    throw new MedrecError(
      errorCodes.IMAGE_WRONG_VERSION,
      `Image ${reference} does not run \`geth version\` (exit code ${exitCode}).`,
      {
        details: output.trim().split('\n').slice(-5),
        hint: `Use ${pinnedGethImage}, or build it with \`medrec image build\`.`,
      },
    )
  }
  const problem = explainUnsupportedGeth(version)
  if (problem) {
    throw new MedrecError(errorCodes.IMAGE_WRONG_VERSION, `Image ${reference} runs ${problem}`, {
      hint:
        `Set \`image: ${pinnedGethImage}\` in medrec.yaml ` +
        `(\`medrec image build\` makes it where no registry is reachable).`,
    })
  }
  return version.raw
}

export type EnsureGethImageOptions = {
  /** Versions already checked, by image id, so an image is run only once. */
  knownVersions?: Record<string, string>
  allowPull?: boolean
}

/**
 * Makes sure the image exists locally (pulling it if it can) and runs geth 1.13.x.
 * Fails with a next step when it can neither find nor pull it.
 */
export async function ensureGethImage(
  engine: ContainerEngine,
  reference: string,
  options: EnsureGethImageOptions = {},
): Promise<CheckedGethImage> {
  const tagProblem = explainUnsupportedImageTag(reference)
  if (tagProblem)
    throw new MedrecError(errorCodes.IMAGE_WRONG_VERSION, tagProblem, {
      hint: `Set \`image: ${pinnedGethImage}\` in medrec.yaml.`,
    })

  let image = await engine.inspectImage(reference)
  let pulled = false
  if (!image && options.allowPull !== false) {
    try {
      await engine.pullImage(reference)
      pulled = true
    } catch (error) {
      if (error instanceof MedrecError && error.code === errorCodes.DOCKER_UNREACHABLE) throw error
      throw new MedrecError(
        errorCodes.IMAGE_MISSING,
        `Image ${reference} is not on this Docker engine and could not be pulled.`,
        {
          details: [error instanceof Error ? error.message : String(error)],
          hint:
            `Build it locally: \`medrec image build\` (uses a geth ${pinnedGethImage.split(':v')[1]} ` +
            `binary from --geth-binary, or builds one with Go). Nothing was created.`,
          cause: error,
        },
      )
    }
    image = await engine.inspectImage(reference)
  }
  if (!image) {
    throw new MedrecError(errorCodes.IMAGE_MISSING, `Image ${reference} is not on this Docker engine.`, {
      hint: 'Build it with `medrec image build`. Nothing was created.',
    })
  }
  const known = options.knownVersions?.[image.id] ?? (await readCheckedVersions())[image.id]
  if (known !== undefined) return {reference, imageId: image.id, version: known, pulled}
  const version = await readGethVersionFromImage(engine, reference)
  await rememberCheckedVersion(image.id, version)
  return {reference, imageId: image.id, version, pulled}
}

/** The user's MedRec cache: $MEDREC_CACHE_DIR, or medrec under $XDG_CACHE_HOME or ~/.cache. */
export function medrecCacheDir(): string {
  return process.env.MEDREC_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'medrec')
}

/**
 * geth versions already checked, by image id, shared by every network directory of this user.
 * An image id is the hash of the image's content, so what ran in it once runs in it always;
 * without this, every new directory (each CI run) would start a probe container first (~0.25 s).
 */
function checkedVersionsFile(): string {
  return join(medrecCacheDir(), 'checked-geth-images.json')
}

/** Entries that are not a supported geth version are ignored: the cache can only skip a probe, never allow more. */
async function readCheckedVersions(): Promise<Record<string, string>> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(checkedVersionsFile(), 'utf8'))
  } catch {
    return {}
  }
  if (typeof parsed !== 'object' || parsed === null) return {}
  const versions: Record<string, string> = {}
  for (const [id, raw] of Object.entries(parsed)) {
    const version = typeof raw === 'string' ? parseGethVersionOutput(`Version: ${raw}`) : undefined
    if (version && !explainUnsupportedGeth(version)) versions[id] = raw as string
  }
  return versions
}

/** Best effort: a cache that cannot be written only costs the next run a probe. */
async function rememberCheckedVersion(imageId: string, version: string): Promise<void> {
  try {
    const versions = {...(await readCheckedVersions()), [imageId]: version}
    await mkdir(medrecCacheDir(), {recursive: true})
    const temporary = `${checkedVersionsFile()}.${process.pid}.tmp`
    await writeFile(temporary, `${JSON.stringify(versions, null, 2)}\n`)
    await rename(temporary, checkedVersionsFile())
  } catch {
    // Not needed for correctness.
  }
}
