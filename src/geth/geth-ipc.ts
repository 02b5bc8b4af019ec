import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethBinaryPath, gethIpcPath} from './geth-node-command.js'

/**
 * Evaluates a JavaScript expression in a node's geth console over its IPC socket, run
 * inside the container through the Docker exec API. This is how the tool reaches
 * sealers, which serve no HTTP. The expression is wrapped in JSON.stringify so the
 * result comes back as JSON.
 */
export async function gethIpcEval<T>(
  engine: ContainerEngine,
  containerId: string,
  nodeName: string,
  expression: string,
): Promise<T> {
  const result = await engine.exec(containerId, [
    gethBinaryPath,
    'attach',
    '--exec',
    `JSON.stringify(${expression})`,
    gethIpcPath,
  ])
  const output = result.stdout.trim()
  if (result.exitCode !== 0 || output === '' || /^(Fatal|Error|GoError)/.test(output)) {
    throw new MedrecError(errorCodes.IPC_FAILED, `${nodeName}: the geth console did not answer \`${expression}\`.`, {
      details: [output || result.stderr.trim() || `exit code ${result.exitCode}`].filter(Boolean),
      hint: `Check that the node is running: \`medrec network logs ${nodeName}\`.`,
    })
  }
  // The console prints a string result as a quoted JS string: decode it, then the JSON inside.
  const decoded: unknown = JSON.parse(output)
  return (typeof decoded === 'string' ? JSON.parse(decoded) : decoded) as T
}
