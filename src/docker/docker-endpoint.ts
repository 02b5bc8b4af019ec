import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'

/** Which Docker engine to talk to, and which setting chose it (for every message about it). */
export type DockerEndpoint = {
  /** unix:///path, tcp://host:port or ssh://[user@]host[:port]. */
  host: string
  /** The setting that chose it, in words: `DOCKER_HOST`, `context "x" (DOCKER_CONTEXT)`, … */
  from: string
  /** The Docker context's name, when a context chose it. */
  context?: string
  /** TLS for tcp://: certificate files (absent ones are not used) and whether to verify the server. */
  tls?: {caFile?: string; certFile?: string; keyFile?: string; verify: boolean}
}

export const defaultDockerSocket = 'unix:///var/run/docker.sock'

/** The context that means "DOCKER_HOST or the local socket", as in the docker CLI. */
const defaultContextName = 'default'

/**
 * Resolves the engine the docker CLI would use, in its order (docker/cli
 * `resolveContextName`): DOCKER_HOST; else the context named by DOCKER_CONTEXT; else the
 * config file's `currentContext`; else the local socket. The config directory is
 * DOCKER_CONFIG or ~/.docker; a context's endpoint is in
 * `contexts/meta/<sha256 of its name>/meta.json` (`Endpoints.docker.Host`) and its TLS
 * files in `contexts/tls/<sha256>/docker/`. Synchronous: an engine is chosen once, before
 * anything else runs, from a few small files.
 */
export function resolveDockerEndpoint(env: NodeJS.ProcessEnv = process.env, home = homedir()): DockerEndpoint {
  const dockerHost = env.DOCKER_HOST?.trim()
  if (dockerHost) {
    // As docker-modem (and the docker CLI) do, an address without a scheme is TCP.
    const host = checkHost(dockerHost.includes('://') ? dockerHost : `tcp://${dockerHost}`, 'DOCKER_HOST')
    // The docker CLI lets DOCKER_HOST win too; say so, since someone set both on purpose.
    const ignored = env.DOCKER_CONTEXT?.trim() ? ` (DOCKER_CONTEXT=${env.DOCKER_CONTEXT.trim()} is ignored)` : ''
    return {host, from: `DOCKER_HOST${ignored}`, ...tlsFromEnvironment(host, env, home)}
  }
  const configDir = env.DOCKER_CONFIG?.trim() || join(home, '.docker')
  const fromEnvironment = env.DOCKER_CONTEXT?.trim()
  let name: string | undefined
  let from: string
  if (fromEnvironment) {
    name = fromEnvironment
    from = `context "${name}" (DOCKER_CONTEXT)`
  } else {
    name = currentContextOf(configDir)
    from = `context "${name}" (currentContext in ${join(configDir, 'config.json')})`
  }
  if (name === undefined || name === defaultContextName) {
    return {host: defaultDockerSocket, from: name === undefined ? 'the default socket' : from}
  }
  return readContext(configDir, name, from)
}

/** Words for messages: the endpoint and the setting that chose it. */
export function describeDockerEndpoint(endpoint: DockerEndpoint): string {
  return `${endpoint.host} (from ${endpoint.from})`
}

function currentContextOf(configDir: string): string | undefined {
  const path = join(configDir, 'config.json')
  if (!existsSync(path)) return undefined
  const config = parseJson(
    readFileSync(path, 'utf8'),
    (cause) =>
      new MedrecError(errorCodes.DOCKER_ENDPOINT_INVALID, `The Docker config file ${path} is not valid JSON.`, {
        hint: 'Fix or remove it, or set DOCKER_HOST to choose an engine directly.',
        cause,
      }),
  )
  const current = (config as {currentContext?: unknown} | null)?.currentContext
  return typeof current === 'string' && current.trim() !== '' ? current.trim() : undefined
}

/** The directory name Docker stores a context under: the hex SHA-256 of its name. */
export function contextDirectoryName(name: string): string {
  return createHash('sha256').update(name).digest('hex')
}

function readContext(configDir: string, name: string, from: string): DockerEndpoint {
  const id = contextDirectoryName(name)
  const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json')
  let text: string
  try {
    text = readFileSync(metaPath, 'utf8')
  } catch (error) {
    throw new MedrecError(errorCodes.DOCKER_CONTEXT_UNKNOWN, `There is no Docker context named "${name}".`, {
      details: [`chosen by ${from}`, `looked for ${metaPath}`],
      hint: 'List the contexts with `docker context ls`; create it with `docker context create`, or choose another.',
      cause: error,
    })
  }
  const invalid = (why: string, cause?: unknown) =>
    new MedrecError(errorCodes.DOCKER_ENDPOINT_INVALID, `Docker context "${name}" ${why}.`, {
      details: [`chosen by ${from}`, `read ${metaPath}`],
      hint: 'Inspect it with `docker context inspect`, or recreate it with `docker context create`.',
      ...(cause === undefined ? {} : {cause}),
    })
  const meta = parseJson(text, (cause) => invalid('has a meta.json that is not valid JSON', cause)) as {
    Endpoints?: {docker?: {Host?: unknown; SkipTLSVerify?: unknown}}
  }
  const docker = meta?.Endpoints?.docker
  if (typeof docker?.Host !== 'string' || docker.Host.trim() === '') throw invalid('has no Docker endpoint (Host)')
  const host = checkHost(docker.Host.trim(), from)
  if (!host.startsWith('tcp://')) return {host, from, context: name}
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker')
  const file = (base: string) => (existsSync(join(tlsDir, base)) ? join(tlsDir, base) : undefined)
  const [caFile, certFile, keyFile] = [file('ca.pem'), file('cert.pem'), file('key.pem')]
  if (!caFile && !certFile && !keyFile) return {host, from, context: name}
  return {
    host,
    from,
    context: name,
    tls: {
      ...(caFile ? {caFile} : {}),
      ...(certFile ? {certFile} : {}),
      ...(keyFile ? {keyFile} : {}),
      verify: docker.SkipTLSVerify !== true,
    },
  }
}

/** DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the docker CLI reads them for a tcp:// DOCKER_HOST. */
function tlsFromEnvironment(host: string, env: NodeJS.ProcessEnv, home: string): Pick<DockerEndpoint, 'tls'> {
  const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== ''
  const certPath = env.DOCKER_CERT_PATH?.trim()
  if (!host.startsWith('tcp://') || (!verify && !certPath)) return {}
  const dir = certPath || join(home, '.docker')
  return {
    tls: {caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), verify},
  }
}

/** Accepts the schemes this tool can dial; says which setting held anything else. */
function checkHost(host: string, from: string): string {
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1] ?? ''
  const problem = !['unix', 'tcp', 'ssh'].includes(scheme)
    ? `uses ${scheme}://, which this tool cannot dial`
    : scheme === 'unix' && host.length <= 'unix://'.length
      ? 'names no socket path'
      : scheme !== 'unix' && !parsesAsUrl(host)
        ? 'is not a valid address'
        : undefined
  if (problem === undefined) return host
  throw new MedrecError(errorCodes.DOCKER_ENDPOINT_INVALID, `The Docker engine address "${host}" ${problem}.`, {
    details: [`set by ${from}`],
    hint: 'Use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT].',
  })
}

function parsesAsUrl(host: string): boolean {
  try {
    return new URL(host).hostname !== ''
  } catch {
    return false
  }
}
