import {createHash} from 'node:crypto'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import type {MedrecError} from '../errors/medrec-error.js'
import {thrownRefusal} from '../errors/testing/refusal.js'
import {contextDirectoryName, resolveDockerEndpoint} from './docker-endpoint.js'
import {DockerodeEngine} from './dockerode-engine.js'
import {sshArguments} from './ssh-connection.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanups.push(() => rm(dir, {recursive: true, force: true}))
  return dir
}

/** A Docker config directory with these contexts (name → endpoint host) and this current one. */
async function dockerConfig(
  contexts: Record<string, string>,
  currentContext?: string,
  tls: Record<string, string[]> = {},
  into?: string,
): Promise<string> {
  const dir = into ?? (await tempDir('medrec-docker-config-'))
  await mkdir(dir, {recursive: true})
  if (currentContext !== undefined) await writeFile(join(dir, 'config.json'), JSON.stringify({currentContext}))
  for (const [name, host] of Object.entries(contexts)) {
    const metaDir = join(dir, 'contexts', 'meta', contextDirectoryName(name))
    await mkdir(metaDir, {recursive: true})
    const meta = {Name: name, Metadata: {}, Endpoints: {docker: {Host: host, SkipTLSVerify: false}}}
    await writeFile(join(metaDir, 'meta.json'), JSON.stringify(meta))
    for (const file of tls[name] ?? []) {
      const tlsDir = join(dir, 'contexts', 'tls', contextDirectoryName(name), 'docker')
      await mkdir(tlsDir, {recursive: true})
      await writeFile(join(tlsDir, file), 'pem')
    }
  }
  return dir
}

/** A home directory whose ~/.docker is a config with these contexts. */
async function homeWith(contexts: Record<string, string>, currentContext?: string): Promise<string> {
  const home = await tempDir('medrec-home-')
  await dockerConfig(contexts, currentContext, {}, join(home, '.docker'))
  return home
}

/** A stand-in Docker engine on a unix socket: answers /_ping like the real one. */
async function fakeEngine(): Promise<{socket: string; requests: string[]}> {
  const dir = await tempDir('medrec-fake-engine-')
  const socket = join(dir, 'docker.sock')
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    if (req.url?.endsWith('/_ping')) res.end('OK')
    else res.writeHead(404).end('{"message":"not here"}')
  })
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return {socket, requests}
}

describe('resolveDockerEndpoint', () => {
  it('uses the local socket when nothing is configured', async () => {
    // Given a home without a Docker config and no Docker variables
    const home = await tempDir('medrec-home-')
    // Then the engine is the default socket, and it says so
    expect(resolveDockerEndpoint({}, home)).toEqual({host: 'unix:///var/run/docker.sock', from: 'the default socket'})
  })

  it("follows the config file's currentContext to the context's endpoint", async () => {
    // Given ~/.docker/config.json naming context "clinic-b", whose endpoint is an ssh host
    const home = await homeWith(
      {'clinic-b': 'ssh://ops@clinic-b.example:2222', other: 'tcp://10.0.0.9:2375'},
      'clinic-b',
    )
    // When the engine is resolved without variables
    const endpoint = resolveDockerEndpoint({}, home)
    // Then it is that context's host, and the setting is named
    expect(endpoint.host).toBe('ssh://ops@clinic-b.example:2222')
    expect(endpoint.context).toBe('clinic-b')
    expect(endpoint.from).toContain('currentContext in')
    expect(endpoint.from).toContain(join(home, '.docker', 'config.json'))
  })

  it('lets DOCKER_CONTEXT override currentContext, and DOCKER_HOST override both', async () => {
    // Given two contexts, the config choosing "a"
    const home = await homeWith({a: 'tcp://10.0.0.1:2375', b: 'unix:///run/b.sock'}, 'a')
    // When DOCKER_CONTEXT names "b"
    const byVariable = resolveDockerEndpoint({DOCKER_CONTEXT: 'b'}, home)
    // Then "b" is used
    expect(byVariable).toEqual({host: 'unix:///run/b.sock', from: 'context "b" (DOCKER_CONTEXT)', context: 'b'})
    // And DOCKER_HOST wins over both, saying that DOCKER_CONTEXT is ignored
    const byHost = resolveDockerEndpoint({DOCKER_CONTEXT: 'b', DOCKER_HOST: 'unix:///run/c.sock'}, home)
    expect(byHost.host).toBe('unix:///run/c.sock')
    expect(byHost.from).toBe('DOCKER_HOST (DOCKER_CONTEXT=b is ignored)')
  })

  it('treats the context named "default" as the local socket', async () => {
    const home = await homeWith({}, 'default')
    expect(resolveDockerEndpoint({}, home).host).toBe('unix:///var/run/docker.sock')
    expect(resolveDockerEndpoint({DOCKER_CONTEXT: 'default'}, home).host).toBe('unix:///var/run/docker.sock')
  })

  it('reads the contexts of DOCKER_CONFIG instead of ~/.docker', async () => {
    const home = await homeWith({x: 'tcp://10.0.0.1:2375'}, 'x')
    const config = await dockerConfig({x: 'tcp://10.9.9.9:2375'}, 'x')
    expect(resolveDockerEndpoint({DOCKER_CONFIG: config}, home).host).toBe('tcp://10.9.9.9:2375')
  })

  it("finds a context's TLS files and verifies the server unless the context skips it", async () => {
    const config = await dockerConfig({secure: 'tcp://10.0.0.5:2376'}, 'secure', {secure: ['ca.pem', 'cert.pem']})
    const endpoint = resolveDockerEndpoint({DOCKER_CONFIG: config}, '/nonexistent')
    const tlsDir = join(config, 'contexts', 'tls', contextDirectoryName('secure'), 'docker')
    expect(endpoint.tls).toEqual({caFile: join(tlsDir, 'ca.pem'), certFile: join(tlsDir, 'cert.pem'), verify: true})
  })

  it('names an unknown context, which setting chose it and where it looked', async () => {
    // Given a config whose currentContext names a context that was never created
    const home = await homeWith({a: 'tcp://10.0.0.1:2375'}, 'gone')
    // When the engine is resolved
    const error = thrownRefusal(() => resolveDockerEndpoint({}, home))
    // Then the error says which context, chosen by what, and the file it looked for
    expect(error.code).toBe(errorCodes.DOCKER_CONTEXT_UNKNOWN)
    expect(error.message).toContain('"gone"')
    const metaPath = join(home, '.docker', 'contexts', 'meta', createHash('sha256').update('gone').digest('hex'))
    expect(error.details.join('\n')).toContain(metaPath)
    expect(error.details.join('\n')).toContain('currentContext')
    // And the same for DOCKER_CONTEXT
    const viaVariable = thrownRefusal(() => resolveDockerEndpoint({DOCKER_CONTEXT: 'nope'}, home))
    expect(viaVariable.code).toBe(errorCodes.DOCKER_CONTEXT_UNKNOWN)
    expect(viaVariable.details[0]).toBe('chosen by context "nope" (DOCKER_CONTEXT)')
  })

  it('refuses a config file that is not JSON, a context without a host, and an address it cannot dial', async () => {
    const home = await tempDir('medrec-home-')
    await mkdir(join(home, '.docker'))
    await writeFile(join(home, '.docker', 'config.json'), '{not json')
    expect(thrownRefusal(() => resolveDockerEndpoint({}, home)).code).toBe(errorCodes.DOCKER_ENDPOINT_INVALID)

    const config = await dockerConfig({empty: ''}, 'empty')
    const noHost = thrownRefusal(() => resolveDockerEndpoint({DOCKER_CONFIG: config}, home))
    expect(noHost.code).toBe(errorCodes.DOCKER_ENDPOINT_INVALID)
    expect(noHost.message).toContain('"empty"')

    const pipe = thrownRefusal(() => resolveDockerEndpoint({DOCKER_HOST: 'npipe:////./pipe/docker_engine'}, home))
    expect(pipe.code).toBe(errorCodes.DOCKER_ENDPOINT_INVALID)
    expect(pipe.details).toEqual(['set by DOCKER_HOST'])
  })

  it('reads an address without a scheme as TCP, as docker-modem does', async () => {
    expect(resolveDockerEndpoint({DOCKER_HOST: '10.0.0.2:2375'}, '/nonexistent').host).toBe('tcp://10.0.0.2:2375')
  })
})

describe('sshArguments', () => {
  // The ssh client's own options first (user and port only when the address has them), then `--`, so that
  // no host is ever read as an option, then the host and the engine's stdio bridge to run there.
  it.each([
    {url: 'ssh://ops@clinic-b.example:2222', login: ['-l', 'ops', '-p', '2222'], host: 'clinic-b.example'},
    {url: 'ssh://[fd00::5]', login: [], host: 'fd00::5'},
    {url: 'ssh://clinic%20ops@clinic-b.example', login: ['-l', 'clinic ops'], host: 'clinic-b.example'},
    {url: 'ssh://-oProxyCommand=x', login: [], host: '-oProxyCommand=x'},
  ])('passes user, port and host of $url to the ssh client, and runs the engine stdio bridge there', (row) => {
    const bridge = ['docker', 'system', 'dial-stdio']
    expect(sshArguments(row.url)).toEqual(['-o', 'ConnectTimeout=30', '-T', ...row.login, '--', row.host, ...bridge])
  })
})

describe('DockerodeEngine on a chosen endpoint', () => {
  it('talks to the engine of the current context', async () => {
    // Given an engine on a unix socket, chosen by the current context
    const engine = await fakeEngine()
    const home = await homeWith({clinic: `unix://${engine.socket}`}, 'clinic')
    // When the tool pings the engine it resolved
    const docker = new DockerodeEngine(resolveDockerEndpoint({}, home))
    await docker.ping()
    // Then that engine answered, and the description names the context
    expect(engine.requests).toContain('GET /_ping')
    expect(docker.describeEndpoint()).toBe(
      `unix://${engine.socket} (from context "clinic" (currentContext in ${join(home, '.docker', 'config.json')}))`,
    )
  })

  it('says which engine is unreachable and which setting chose it', async () => {
    // Given a context whose socket does not exist
    const home = await homeWith({down: 'unix:///nonexistent/medrec/docker.sock'}, 'down')
    const docker = new DockerodeEngine(resolveDockerEndpoint({DOCKER_CONTEXT: 'down'}, home))
    // When it is pinged
    const error = await docker.ping().then(
      () => undefined,
      (e: unknown) => e as MedrecError,
    )
    // Then the error names the address, the cause and the context
    expect(error?.code).toBe(errorCodes.DOCKER_UNREACHABLE)
    expect(error?.message).toBe(
      'Cannot reach the Docker engine at unix:///nonexistent/medrec/docker.sock: its socket does not exist ' +
        '(set by context "down" (DOCKER_CONTEXT)).',
    )
    expect(error?.hint).toContain('docker context inspect down')
  })

  it('reaches an ssh:// engine through the ssh client running `docker system dial-stdio`', async () => {
    // Given a stand-in ssh client that records its arguments and bridges stdio to a local engine
    const engine = await fakeEngine()
    const dir = await tempDir('medrec-fake-ssh-')
    const argsFile = join(dir, 'args.json')
    const ssh = join(dir, 'ssh')
    await writeFile(
      ssh,
      `#!${process.execPath}
const fs = require('node:fs'), net = require('node:net')
fs.writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)))
const socket = net.connect(${JSON.stringify(engine.socket)})
process.stdin.pipe(socket).pipe(process.stdout)
socket.on('close', () => process.exit(0))
`,
    )
    await chmod(ssh, 0o755)
    // When the engine at ssh://ops@clinic-b.example:2222 is pinged
    const docker = new DockerodeEngine(
      {host: 'ssh://ops@clinic-b.example:2222', from: 'DOCKER_HOST'},
      {sshCommand: ssh},
    )
    await docker.ping()
    // Then the request went through the ssh client, which was asked for that host, user and port
    expect(engine.requests).toContain('GET /_ping')
    expect(JSON.parse(await readFile(argsFile, 'utf8'))).toEqual(sshArguments('ssh://ops@clinic-b.example:2222'))
  })

  it("reports the ssh client's own words when it cannot connect", async () => {
    // Given an ssh client that fails as OpenSSH does on an unknown host key
    const dir = await tempDir('medrec-fake-ssh-')
    const ssh = join(dir, 'ssh')
    await writeFile(ssh, '#!/bin/sh\necho "Host key verification failed." >&2\nexit 255\n')
    await chmod(ssh, 0o755)
    const docker = new DockerodeEngine({host: 'ssh://clinic-b.example', from: 'DOCKER_HOST'}, {sshCommand: ssh})
    // When it is pinged
    const error = await docker.ping().then(
      () => undefined,
      (e: unknown) => e as MedrecError,
    )
    // Then the engine is unreachable, and the message carries ssh's reason
    expect(error?.code).toBe(errorCodes.DOCKER_UNREACHABLE)
    expect(error?.message).toContain('ssh exited with code 255: Host key verification failed.')
    expect(error?.message).toContain('ssh://clinic-b.example')
  })
})
