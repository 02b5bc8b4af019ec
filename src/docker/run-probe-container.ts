import {labelKeys, type ContainerEngine} from './container-engine.js'

/**
 * Runs `cmd` once in a throwaway container of `image` (labelled a probe of this tool) and
 * removes it: how an image is checked before anything runs it for real. Returns the exit code
 * and the last 50 lines it logged.
 */
export async function runProbeContainer(
  engine: ContainerEngine,
  image: string,
  cmd: string[],
): Promise<{exitCode: number; output: string}> {
  const id = await engine.createContainer({
    name: `medrec-probe-${process.pid}-${Date.now()}`,
    image,
    cmd,
    labels: {[labelKeys.managed]: 'true', [labelKeys.role]: 'probe'},
  })
  try {
    await engine.startContainer(id)
    const exitCode = await engine.waitContainer(id)
    return {exitCode, output: await engine.logsText(id, 50)}
  } finally {
    await engine.removeContainer(id)
  }
}
