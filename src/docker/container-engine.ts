import type {Readable} from 'node:stream'

/** Labels every Docker object the tool creates carries, so it finds them without guessing from names. */
export const labelKeys = {
  managed: 'org.medrec.managed',
  network: 'org.medrec.network',
  networkId: 'org.medrec.network-id',
  role: 'org.medrec.role',
  node: 'org.medrec.node',
  /** Set on every object of a network whose profile is not the standard one (`throwaway`). */
  profile: 'org.medrec.profile',
  /** The member (provider) a node belongs to, when each member runs its own part on its own host. */
  member: 'org.medrec.member',
} as const

export type NodeRole = 'sealer' | 'rpc' | 'init' | 'probe' | 'reconciler' | 'watchdog'

export type ContainerInfo = {
  id: string
  name: string
  labels: Record<string, string>
  state: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | string
  exitCode: number | undefined
  /** How often Docker's restart policy has restarted it (inspect only; 0 from list). */
  restartCount: number
  /** Container IP on each Docker network, by network name. */
  ips: Record<string, string>
  /** The image's HEALTHCHECK verdict, when it has one. */
  health?: 'starting' | 'healthy' | 'unhealthy'
  /** When its current run started (RFC 3339; inspect only). */
  startedAt?: string
}

/** A container's life-cycle event from the engine (`docker events`). */
export type ContainerEvent = {
  /** start, die, stop, restart, kill, health_status: healthy, … as Docker names them. */
  action: string
  containerId: string
  labels: Record<string, string>
  /** Epoch ms. */
  time: number
}

/** A subscription to container events; `ended` resolves when the stream ends (with its error, if any). */
export type ContainerEventWatch = {close(): void; ended: Promise<Error | undefined>}

export type ContainerSpec = {
  name: string
  image: string
  cmd: string[]
  labels: Record<string, string>
  /** Named volume mounted at a path. */
  volume?: {name: string; path: string}
  /** Host paths bind-mounted (the reconciler's Docker socket). */
  binds?: {hostPath: string; containerPath: string; readOnly?: boolean}[]
  /** A tmpfs mounted at a path: in memory, empty at every start of the container. */
  tmpfs?: {path: string; sizeBytes: number}
  network?: {name: string; ip?: string; aliases?: string[]}
  /**
   * Container port → host binding (TCP unless said). On one host, only the keyless RPC node
   * publishes anything; a member's sealer on its own host publishes its devp2p port (TCP and UDP).
   */
  publish?: {containerPort: number; hostIp: string; hostPort: number; protocol?: 'tcp' | 'udp'}[]
  restartPolicy?: 'no' | 'unless-stopped'
  stopTimeoutSeconds?: number
  /** Environment variables of the process (no secrets: `docker inspect` shows them). */
  env?: Record<string, string>
}

export type ExecResult = {exitCode: number; stdout: string; stderr: string}

/** The slice of the Docker API the tool uses. */
export type ContainerEngine = {
  /** Throws MEDREC_DOCKER_UNREACHABLE when no engine answers. */
  ping(): Promise<void>
  describeEndpoint(): string

  inspectImage(reference: string): Promise<{id: string; labels: Record<string, string>; sizeBytes: number} | undefined>
  pullImage(reference: string): Promise<void>
  buildImage(context: Readable, tag: string, labels: Record<string, string>): Promise<void>
  /** Removes an image; refused (DOCKER_OPERATION_FAILED) while a container uses it. */
  removeImage(idOrReference: string): Promise<void>

  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>
  inspectContainer(idOrName: string): Promise<ContainerInfo | undefined>
  createContainer(spec: ContainerSpec): Promise<string>
  putArchive(containerId: string, path: string, tar: Readable): Promise<void>
  /** One regular file's content from a container (also a stopped one), or undefined if absent. */
  readFile(containerId: string, path: string): Promise<Buffer | undefined>
  startContainer(id: string): Promise<void>
  stopContainer(id: string, timeoutSeconds: number): Promise<void>
  killContainer(id: string, signal?: string): Promise<void>
  removeContainer(id: string): Promise<void>
  waitContainer(id: string): Promise<number>
  logs(id: string, options: {tail?: number; follow?: boolean; timestamps?: boolean}): Promise<Readable>
  /**
   * The last `tail` lines; with `sinceStart`, only lines logged since the container's current
   * start (by the engine's own clock, to the nanosecond), never a previous run's.
   */
  logsText(id: string, tail: number, options?: {sinceStart?: boolean}): Promise<string>
  exec(id: string, cmd: string[]): Promise<ExecResult>
  /** Calls `onEvent` for each life-cycle event of the containers carrying these labels, until closed. */
  watchContainerEvents(
    labels: Record<string, string>,
    onEvent: (event: ContainerEvent) => void,
  ): Promise<ContainerEventWatch>
  memoryUsageBytes(id: string): Promise<number | undefined>

  listNetworks(
    labels: Record<string, string>,
  ): Promise<{id: string; name: string; subnets: string[]; labels: Record<string, string>}[]>
  listAllSubnets(): Promise<string[]>
  /** Without a subnet, the engine picks a free one. */
  createNetwork(spec: {name: string; subnet?: string; labels: Record<string, string>}): Promise<string>
  removeNetwork(idOrName: string): Promise<void>
  connectNetwork(network: string, containerId: string, ip?: string): Promise<void>
  disconnectNetwork(network: string, containerId: string): Promise<void>

  listVolumes(labels: Record<string, string>): Promise<{name: string; labels: Record<string, string>}[]>
  inspectVolume(name: string): Promise<{name: string; labels: Record<string, string>} | undefined>
  createVolume(spec: {name: string; labels: Record<string, string>}): Promise<void>
  removeVolume(name: string): Promise<void>
}
