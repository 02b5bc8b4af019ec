import Docker from 'dockerode'

import {pinnedGethImage} from '../../src/geth/geth-version.js'

/**
 * What the end-to-end tests need: a Docker engine and the pinned geth image. Locally a
 * missing prerequisite skips them (with the reason); under CI it fails the run.
 */
export async function e2ePrerequisites(): Promise<{ok: true} | {ok: false; reason: string}> {
  const docker = new Docker()
  try {
    await docker.ping()
  } catch (error) {
    return failOrSkip(`no Docker engine answers (${(error as Error).message})`)
  }
  try {
    await docker.getImage(pinnedGethImage).inspect()
  } catch {
    return failOrSkip(`image ${pinnedGethImage} is missing; run \`medrec image build\``)
  }
  return {ok: true}
}

function failOrSkip(reason: string): {ok: false; reason: string} {
  if (process.env.CI)
    throw new Error(`End-to-end prerequisites are missing under CI (they are required there): ${reason}`)
  console.warn(`Skipping end-to-end tests: ${reason}`)
  return {ok: false, reason}
}
