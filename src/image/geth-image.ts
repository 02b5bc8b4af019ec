import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
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
  const id = await engine.createContainer({
    name: `medrec-probe-${process.pid}-${Date.now()}`,
    image: reference,
    cmd: ['version'],
    labels: {[labelKeys.managed]: 'true', [labelKeys.role]: 'probe'},
  })
  try {
    await engine.startContainer(id)
    const exitCode = await engine.waitContainer(id)
    const output = await engine.logsText(id, 50)
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
  } finally {
    await engine.removeContainer(id)
  }
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
  const known = options.knownVersions?.[image.id]
  const version = known ?? (await readGethVersionFromImage(engine, reference))
  return {reference, imageId: image.id, version, pulled}
}
