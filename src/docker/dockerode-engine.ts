import {readFileSync} from 'node:fs'
import {PassThrough, type Readable} from 'node:stream'

import Docker from 'dockerode'
import {extract} from 'tar-stream'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {
  ContainerEngine,
  ContainerEvent,
  ContainerEventWatch,
  ContainerInfo,
  ContainerSpec,
  ExecResult,
} from './container-engine.js'
import {describeDockerEndpoint, resolveDockerEndpoint, type DockerEndpoint} from './docker-endpoint.js'
import {sshConnectionAgent, sshFailedCode} from './ssh-connection.js'

const connectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EPERM',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'ENOTFOUND',
  'EPIPE',
  sshFailedCode,
])
const pingTimeoutMs = 5000

function unreachable(endpoint: DockerEndpoint, cause: unknown): MedrecError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission to use its socket was denied'
      : code === 'ENOENT'
        ? 'its socket does not exist'
        : code === 'ETIMEDOUT' || code === 'PING_TIMEOUT'
          ? 'it did not answer in time'
          : code === sshFailedCode
            ? (cause as Error).message
            : `the connection failed (${code ?? (cause as Error | undefined)?.message ?? 'unknown error'})`
  const chosenBy = endpoint.from === 'the default socket' ? 'the default socket' : `set by ${endpoint.from}`
  const next =
    endpoint.context === undefined
      ? 'Start Docker (e.g. `sudo systemctl start docker`), or point DOCKER_HOST at a running engine.'
      : `Check the engine of context "${endpoint.context}" (\`docker context inspect ${endpoint.context}\`), ` +
        'or choose another context with DOCKER_CONTEXT or `docker context use`.'
  return new MedrecError(
    errorCodes.DOCKER_UNREACHABLE,
    `Cannot reach the Docker engine at ${endpoint.host}: ${why} (${chosenBy}).`,
    {
      hint:
        code === 'EACCES' || code === 'EPERM'
          ? 'Add your user to the "docker" group (then log in again), or run with access to the socket.'
          : `${next} Nothing was created.`,
      cause,
    },
  )
}

/** dockerode's options for an endpoint. Every key is given, so DOCKER_HOST (read by docker-modem) cannot leak in. */
export function dockerodeOptions(endpoint: DockerEndpoint, sshCommand?: string): Docker.DockerOptions {
  const none = {socketPath: undefined, host: undefined, port: undefined, protocol: undefined, agent: undefined}
  if (endpoint.host.startsWith('unix://')) return {...none, socketPath: endpoint.host.slice('unix://'.length)}
  const url = new URL(endpoint.host)
  if (url.protocol === 'ssh:') {
    // Plain HTTP over the ssh client's stdio; the host name is only a placeholder in the URL.
    // docker-modem passes `agent` to Node's HTTP client; its type declarations omit it.
    const agent = sshConnectionAgent(endpoint.host, sshCommand)
    return {...none, host: 'docker.invalid', protocol: 'http', agent} as Docker.DockerOptions
  }
  const tls = endpoint.tls
  const read = (file: string | undefined) => (file ? readFileSync(file) : undefined)
  return {
    ...none,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || (tls ? '2376' : '2375'),
    protocol: tls || url.port === '2376' ? 'https' : 'http',
    ...(tls
      ? {
          ca: read(tls.caFile),
          cert: read(tls.certFile),
          key: read(tls.keyFile),
          ...(tls.verify ? {} : {checkServerIdentity: () => undefined}),
        }
      : {}),
  } as Docker.DockerOptions
}

/** Runs a removal; one that finds nothing to remove (404: removed already) counts as done. */
async function removeUnlessGone(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove()
  } catch (error) {
    if (statusCodeOf(error) !== 404) throw error
  }
}

function statusCodeOf(error: unknown): number | undefined {
  return (error as {statusCode?: number} | undefined)?.statusCode
}

/** Splits Docker's multiplexed stdout/stderr framing (8-byte headers) out of a buffer. */
export function demuxDockerBuffer(buffer: Buffer): {stdout: string; stderr: string} {
  const out: Buffer[] = []
  const err: Buffer[] = []
  let offset = 0
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset]
    const size = buffer.readUInt32BE(offset + 4)
    const chunk = buffer.subarray(offset + 8, offset + 8 + size)
    if (stream === 2) err.push(chunk)
    else out.push(chunk)
    offset += 8 + size
  }
  return {stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')}
}

/** A HEALTHCHECK verdict as Docker words it (inspect's State.Health.Status, or list's "(health: starting)"). */
function healthOf(text: string | undefined): ContainerInfo['health'] {
  const match = /\b(starting|unhealthy|healthy)\b/.exec(text ?? '')
  return match ? (match[1] as ContainerInfo['health']) : undefined
}

function toContainerInfo(summary: Docker.ContainerInfo): ContainerInfo {
  const ips: Record<string, string> = {}
  for (const [name, net] of Object.entries(summary.NetworkSettings?.Networks ?? {}))
    if (net.IPAddress) ips[name] = net.IPAddress
  const exit = /Exited \((\d+)\)/.exec(summary.Status ?? '')
  const health = summary.State === 'running' ? healthOf(/\(([^)]*)\)\s*$/.exec(summary.Status ?? '')?.[1]) : undefined
  return {
    id: summary.Id,
    name: (summary.Names?.[0] ?? '').replace(/^\//, ''),
    labels: summary.Labels ?? {},
    state: summary.State,
    exitCode: exit ? Number(exit[1]) : undefined,
    restartCount: 0,
    ips,
    ...(health ? {health} : {}),
  }
}

/**
 * The ContainerEngine backed by the Docker Engine API: the engine the docker CLI would use
 * (DOCKER_HOST, the current Docker context, or the local socket), or the one given.
 */
export class DockerodeEngine implements ContainerEngine {
  private readonly docker: Docker
  readonly endpoint: DockerEndpoint

  /** `sshCommand`: the ssh client for ssh:// engines (tests give a stand-in). */
  constructor(endpoint: DockerEndpoint = resolveDockerEndpoint(), options: {sshCommand?: string} = {}) {
    this.endpoint = endpoint
    this.docker = new Docker(dockerodeOptions(endpoint, options.sshCommand))
  }

  describeEndpoint(): string {
    return describeDockerEndpoint(this.endpoint)
  }

  /**
   * Runs a Docker call, turning connection failures into DOCKER_UNREACHABLE and API errors into
   * DOCKER_OPERATION_FAILED.
   */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      if (error instanceof MedrecError) throw error
      const code = (error as NodeJS.ErrnoException).code
      if (code && connectionErrorCodes.has(code)) throw unreachable(this.endpoint, error)
      const message = (error as {json?: {message?: string}}).json?.message ?? (error as Error).message
      throw new MedrecError(errorCodes.DOCKER_OPERATION_FAILED, `Docker could not ${what}: ${message}`, {cause: error})
    }
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('ping timed out'), {code: 'PING_TIMEOUT'})),
        pingTimeoutMs,
      )
    })
    try {
      await Promise.race([this.docker.ping(), timeout])
    } catch (error) {
      throw unreachable(this.endpoint, error)
    } finally {
      clearTimeout(timer)
    }
  }

  async inspectImage(
    reference: string,
  ): Promise<{id: string; labels: Record<string, string>; sizeBytes: number} | undefined> {
    try {
      const info = await this.docker.getImage(reference).inspect()
      return {id: info.Id, labels: info.Config?.Labels ?? {}, sizeBytes: info.Size ?? 0}
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined
      return this.call(`inspect image ${reference}`, () => Promise.reject(error))
    }
  }

  /** Reads a pull or build progress stream to its end; an error event in it is a failure. */
  private followProgress(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, events: {error?: string}[]) => {
        const failed = events?.find((e) => e.error)
        if (error) reject(error)
        else if (failed) reject(new Error(failed.error))
        else resolve()
      })
    })
  }

  async pullImage(reference: string): Promise<void> {
    await this.call(`pull ${reference}`, async () => {
      await this.followProgress(await this.docker.pull(reference))
    })
  }

  async buildImage(context: Readable, tag: string, labels: Record<string, string>): Promise<void> {
    await this.call(`build image ${tag}`, async () => {
      await this.followProgress(await this.docker.buildImage(context, {t: tag, labels, rm: true, forcerm: true}))
    })
  }

  async removeImage(idOrReference: string): Promise<void> {
    await this.call(`remove image ${idOrReference}`, async () => {
      try {
        await this.docker.getImage(idOrReference).remove()
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error
      }
    })
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const filters = {label: Object.entries(labels).map(([k, v]) => `${k}=${v}`)}
    const list = await this.call('list containers', () => this.docker.listContainers({all: true, filters}))
    return list.map(toContainerInfo)
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    try {
      const info = await this.docker.getContainer(idOrName).inspect()
      const ips: Record<string, string> = {}
      for (const [name, net] of Object.entries(info.NetworkSettings?.Networks ?? {}))
        if (net.IPAddress) ips[name] = net.IPAddress
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        labels: info.Config?.Labels ?? {},
        state: info.State.Status,
        exitCode:
          info.State.Status === 'exited' || info.State.Status === 'restarting' ? info.State.ExitCode : undefined,
        restartCount: info.RestartCount ?? 0,
        ips,
        ...(healthOf(info.State.Health?.Status) ? {health: healthOf(info.State.Health?.Status)} : {}),
        ...(info.State.StartedAt ? {startedAt: info.State.StartedAt} : {}),
      }
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined
      return this.call(`inspect container ${idOrName}`, () => Promise.reject(error))
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const exposed: Record<string, object> = {}
    const bindings: Record<string, {HostIp: string; HostPort: string}[]> = {}
    for (const p of spec.publish ?? []) {
      const key = `${p.containerPort}/${p.protocol ?? 'tcp'}`
      exposed[key] = {}
      bindings[key] = [...(bindings[key] ?? []), {HostIp: p.hostIp, HostPort: String(p.hostPort)}]
    }
    const container = await this.call(`create container ${spec.name}`, () =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: Object.entries(spec.env ?? {}).map(([name, value]) => `${name}=${value}`),
        Labels: spec.labels,
        ExposedPorts: exposed,
        StopTimeout: spec.stopTimeoutSeconds,
        HostConfig: {
          Mounts: [
            ...(spec.volume ? [{Type: 'volume' as const, Source: spec.volume.name, Target: spec.volume.path}] : []),
            ...(spec.binds ?? []).map((b) => ({
              Type: 'bind' as const,
              Source: b.hostPath,
              Target: b.containerPath,
              ReadOnly: b.readOnly ?? false,
            })),
            ...(spec.tmpfs
              ? [
                  {
                    Type: 'tmpfs' as const,
                    Source: '',
                    Target: spec.tmpfs.path,
                    TmpfsOptions: {SizeBytes: spec.tmpfs.sizeBytes, Mode: 0o700},
                  },
                ]
              : []),
          ],
          PortBindings: bindings,
          RestartPolicy: {Name: spec.restartPolicy ?? 'no'},
          // Bounded logs: a sealer runs for months.
          LogConfig: {Type: 'json-file', Config: {'max-size': '20m', 'max-file': '5'}},
          NetworkMode: spec.network?.name ?? 'none',
        },
        NetworkingConfig: spec.network
          ? {
              EndpointsConfig: {
                [spec.network.name]: {
                  ...(spec.network.ip ? {IPAMConfig: {IPv4Address: spec.network.ip}} : {}),
                  Aliases: spec.network.aliases ?? [],
                },
              },
            }
          : undefined,
      }),
    )
    return container.id
  }

  async putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
    await this.call(`copy files into ${containerId}`, () =>
      this.docker.getContainer(containerId).putArchive(tar, {path}),
    )
  }

  async readFile(containerId: string, path: string): Promise<Buffer | undefined> {
    let archive: NodeJS.ReadableStream
    try {
      archive = await this.docker.getContainer(containerId).getArchive({path})
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined
      return this.call(`read ${path} in ${containerId}`, () => Promise.reject(error))
    }
    // The archive API answers with a tar of the path: its one entry is the file. A file
    // replaced while Docker sends it (rename over it) can cut the tar short: an error here,
    // which the caller may retry.
    const read = new Promise<Buffer | undefined>((resolve, reject) => {
      const entries = extract()
      let content: Buffer | undefined
      entries.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: unknown) => {
          chunks.push(chunk as Buffer)
        })
        stream.on('error', reject)
        stream.on('end', () => {
          if (content === undefined && header.type === 'file') content = Buffer.concat(chunks)
          next()
        })
        stream.resume()
      })
      entries.on('finish', () => resolve(content))
      entries.on('error', reject)
      archive.on('error', reject)
      archive.pipe(entries)
    })
    return this.call(`read ${path} in ${containerId}`, () => read)
  }

  async watchContainerEvents(
    labels: Record<string, string>,
    onEvent: (event: ContainerEvent) => void,
  ): Promise<ContainerEventWatch> {
    const filters = {type: ['container' as const], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`)}
    const stream = (await this.call('watch container events', () =>
      this.docker.getEvents({filters}),
    )) as NodeJS.ReadableStream & {destroy?: () => void}
    let buffered = ''
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      // One JSON document per line; a chunk may end mid-line.
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        if (line === '') continue
        const event = JSON.parse(line) as {
          Action?: string
          Actor?: {ID?: string; Attributes?: Record<string, string>}
          time?: number
          timeNano?: number
        }
        onEvent({
          action: event.Action ?? '',
          containerId: event.Actor?.ID ?? '',
          labels: event.Actor?.Attributes ?? {},
          time: event.timeNano ? Math.floor(event.timeNano / 1e6) : (event.time ?? 0) * 1000,
        })
      }
    })
    const ended = new Promise<Error | undefined>((resolve) => {
      stream.on('end', () => resolve(undefined))
      stream.on('close', () => resolve(undefined))
      stream.on('error', (error: Error) => resolve(error))
    })
    return {close: () => stream.destroy?.(), ended}
  }

  async startContainer(id: string): Promise<void> {
    await this.call(`start container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).start()
      } catch (error) {
        if (statusCodeOf(error) !== 304) throw error // 304: already running
      }
    })
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.call(`stop container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).stop({t: timeoutSeconds})
      } catch (error) {
        if (statusCodeOf(error) !== 304) throw error // 304: already stopped
      }
    })
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    await this.call(`kill container ${id}`, () => this.docker.getContainer(id).kill({signal}))
  }

  async removeContainer(id: string): Promise<void> {
    await this.call(`remove container ${id}`, () =>
      removeUnlessGone(() => this.docker.getContainer(id).remove({force: true, v: false})),
    )
  }

  async waitContainer(id: string): Promise<number> {
    const result = await this.call(`wait for container ${id}`, () => this.docker.getContainer(id).wait())
    return (result as {StatusCode: number}).StatusCode
  }

  async logs(id: string, options: {tail?: number; follow?: boolean; timestamps?: boolean}): Promise<Readable> {
    const container = this.docker.getContainer(id)
    const output = new PassThrough()
    const request = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps ?? false,
      ...(options.tail === undefined ? {} : {tail: options.tail}),
    }
    if (options.follow) {
      const stream = await this.call(`read logs of ${id}`, () => container.logs({...request, follow: true}))
      this.docker.modem.demuxStream(stream, output, output)
      stream.on('end', () => output.end())
      stream.on('error', (error: Error) => output.destroy(error))
      output.on('close', () => (stream as unknown as {destroy?: () => void}).destroy?.())
      return output
    }
    const buffer = await this.call(`read logs of ${id}`, () => container.logs({...request, follow: false}))
    const {stdout, stderr} = demuxDockerBuffer(buffer as unknown as Buffer)
    output.end(stdout + stderr)
    return output
  }

  async logsText(id: string, tail: number, options: {sinceStart?: boolean} = {}): Promise<string> {
    const container = this.docker.getContainer(id)
    const since = options.sinceStart
      ? {
          since: dockerTimestamp(
            (await this.call(`inspect container ${id}`, () => container.inspect())).State.StartedAt,
          ),
        }
      : {}
    const buffer = await this.call(`read logs of ${id}`, () =>
      container.logs({follow: false, stdout: true, stderr: true, tail, ...since}),
    )
    const {stdout, stderr} = demuxDockerBuffer(buffer as unknown as Buffer)
    return stdout + stderr
  }

  async exec(id: string, cmd: string[]): Promise<ExecResult> {
    return this.call(`run ${cmd[0]} in ${id}`, async () => {
      const exec = await this.docker.getContainer(id).exec({Cmd: cmd, AttachStdout: true, AttachStderr: true})
      const stream = await exec.start({hijack: true, stdin: false})
      const out: Buffer[] = []
      const err: Buffer[] = []
      const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c))
      const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c))
      this.docker.modem.demuxStream(stream, stdout, stderr)
      await new Promise<void>((resolve, reject) => {
        stream.on('end', resolve)
        stream.on('close', resolve)
        stream.on('error', reject)
      })
      const info = await exec.inspect()
      return {
        exitCode: info.ExitCode ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }
    })
  }

  async memoryUsageBytes(id: string): Promise<number | undefined> {
    const stats = (await this.call(`read stats of ${id}`, () =>
      this.docker.getContainer(id).stats({stream: false}),
    )) as {
      memory_stats?: {usage?: number; stats?: Record<string, number>}
    }
    const memory = stats.memory_stats
    if (!memory?.usage) return undefined
    // Resident memory: cgroup v1 reports rss; v2 leaves usage minus page cache.
    return memory.stats?.rss ?? memory.usage - (memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0)
  }

  async listNetworks(labels: Record<string, string>) {
    const filters = {label: Object.entries(labels).map(([k, v]) => `${k}=${v}`)}
    const list = await this.call('list networks', () => this.docker.listNetworks({filters}))
    return list.map((n) => ({
      id: n.Id,
      name: n.Name,
      subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter(Boolean),
      labels: n.Labels ?? {},
    }))
  }

  async listAllSubnets(): Promise<string[]> {
    const list = await this.call('list networks', () => this.docker.listNetworks())
    return list.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter(Boolean)
  }

  async createNetwork(spec: {name: string; subnet?: string; labels: Record<string, string>}): Promise<string> {
    const network = await this.call(`create network ${spec.name}`, async () => {
      try {
        return await this.docker.createNetwork({
          Name: spec.name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: spec.labels,
          IPAM: {Driver: 'default', Config: spec.subnet ? [{Subnet: spec.subnet}] : []},
        })
      } catch (error) {
        // Docker says so only in its message (HTTP 403 "Pool overlaps with other one on this
        // address space"): another network took the subnet since it was found free, e.g. a
        // second `network up` on the same engine. Named here, once, so callers decide by code.
        const message = (error as {json?: {message?: string}}).json?.message ?? (error as Error).message
        if (/pool overlaps/i.test(message)) {
          throw new MedrecError(
            errorCodes.SUBNET_TAKEN,
            `Subnet ${spec.subnet} is already used by another Docker network.`,
            {
              hint: 'Set network.subnet in medrec.yaml to a free /24, or run `medrec network up` again.',
              cause: error,
            },
          )
        }
        throw error
      }
    })
    return network.id
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.call(`remove network ${idOrName}`, () =>
      removeUnlessGone(() => this.docker.getNetwork(idOrName).remove()),
    )
  }

  async connectNetwork(network: string, containerId: string, ip?: string): Promise<void> {
    await this.call(`connect ${containerId} to ${network}`, () =>
      this.docker
        .getNetwork(network)
        .connect({Container: containerId, EndpointConfig: ip ? {IPAMConfig: {IPv4Address: ip}} : {}}),
    )
  }

  async disconnectNetwork(network: string, containerId: string): Promise<void> {
    await this.call(`disconnect ${containerId} from ${network}`, () =>
      this.docker.getNetwork(network).disconnect({Container: containerId, Force: true}),
    )
  }

  async listVolumes(labels: Record<string, string>) {
    const filters = {label: Object.entries(labels).map(([k, v]) => `${k}=${v}`)}
    const result = await this.call('list volumes', () => this.docker.listVolumes({filters}))
    return (result.Volumes ?? []).map((v) => ({name: v.Name, labels: v.Labels ?? {}}))
  }

  async inspectVolume(name: string): Promise<{name: string; labels: Record<string, string>} | undefined> {
    try {
      const info = await this.docker.getVolume(name).inspect()
      return {name: info.Name, labels: info.Labels ?? {}}
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined
      return this.call(`inspect volume ${name}`, () => Promise.reject(error))
    }
  }

  async createVolume(spec: {name: string; labels: Record<string, string>}): Promise<void> {
    await this.call(`create volume ${spec.name}`, () =>
      this.docker.createVolume({Name: spec.name, Labels: spec.labels}),
    )
  }

  async removeVolume(name: string): Promise<void> {
    await this.call(`remove volume ${name}`, () => removeUnlessGone(() => this.docker.getVolume(name).remove()))
  }
}

/**
 * An RFC 3339 time as Docker (as StartedAt gives it, to the nanosecond) turned into the
 * "seconds.nanoseconds" form the logs API takes for `since`. Whole seconds would let a
 * previous run's last lines, written in the same second as the new start, count as new.
 */
function dockerTimestamp(rfc3339: string): string {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339)
  if (!match) throw new Error(`Docker gave an unreadable time: ${rfc3339}`)
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000
  return `${seconds}.${(match[2] ?? '').padEnd(9, '0')}`
}
