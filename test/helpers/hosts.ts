import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {constants, openSync, closeSync} from 'node:fs'
import {access, chmod, mkdir, readdir, readFile, readlink, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {promisify} from 'node:util'

import Docker from 'dockerode'

import type {DockerEndpoint} from '../../src/docker/docker-endpoint.js'
import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'

/**
 * Separate "hosts" on one machine for end-to-end tests: each is a network namespace with
 * its own address, reached from the others through the machine (a veth pair per host, the
 * machine routing between them), and its own Docker engine (dockerd started inside the
 * namespace with its own data root, exec root and socket). A node published on a host's
 * port is reachable at that host's address only; cutting a host's link cuts it off.
 *
 * Everything made carries the prefix `mrmh` ("MedRec multi-host") and the run's id `kN`,
 * where N is also the third octet of the run's addresses (10.231.N.0/24): claiming the run
 * directory /tmp/mrmh-kN is what reserves the block, so two runs never share addresses.
 * Host i of a run has the /30 at 10.231.N.(4(i-1)): the machine's side .+1, the host's .+2.
 *
 * Requires root. Only traffic between the machine and the test's own namespaces is allowed
 * (iptables ACCEPT rules on the test's veths only, in DOCKER-USER, where Docker's FORWARD
 * DROP policy would otherwise stop it).
 */

const execFileAsync = promisify(execFile)

const prefix = 'mrmh'
const runRoot = '/tmp'
const addressPrefix = '10.231'
const ruleComment = (runId: string) => `${prefix}-${runId}`

export type TestHost = {
  index: number
  /** The host's name in tests and logs: h1, h2, … */
  name: string
  netns: string
  /** The machine's end of the host's link (cut and restored by the harness). */
  link: string
  /** The host's address: where its published ports are reached from the other hosts. */
  ip: string
  /** The machine's address on the host's link (the host's default gateway). */
  gateway: string
  dir: string
  /** The host's own Docker engine: unix:///tmp/mrmh-kN/hI/docker.sock. */
  endpoint: DockerEndpoint
  engine: DockerodeEngine
  docker: Docker
}

export type TestHosts = {
  runId: string
  hosts: TestHost[]
  /** Takes a host off the network (its link down): nothing reaches it, it reaches nothing. */
  cutLink(host: TestHost): Promise<void>
  restoreLink(host: TestHost): Promise<void>
  /** Removes everything the run made. Returns what could not be removed (empty when clean). */
  teardown(): Promise<string[]>
}

type CommandResult = {stdout: string; stderr: string}

async function run(command: string, args: string[]): Promise<CommandResult> {
  try {
    const {stdout, stderr} = await execFileAsync(command, args, {encoding: 'utf8'})
    return {stdout, stderr}
  } catch (error) {
    const e = error as {stderr?: string; message: string}
    throw new Error(`${command} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, {cause: error})
  }
}

const succeeds = (command: string, args: string[]) =>
  run(command, args).then(
    () => true,
    () => false,
  )

const requiredCommands = ['ip', 'iptables', 'nsenter', 'dockerd', 'umount'] as const

async function findCommand(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin']
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, name)
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path
  }
  return undefined
}

/**
 * Whether this machine can run the harness: root, the commands, a Docker engine with the
 * image. Locally a missing one skips the test with the reason; under CI it fails the run.
 */
export async function multiHostPrerequisites(image: string): Promise<{ok: true} | {ok: false; reason: string}> {
  const missing: string[] = []
  if (process.getuid?.() !== 0) missing.push('root (namespaces, veths, iptables and dockerd need it)')
  for (const command of requiredCommands) {
    if (!(await findCommand(command))) missing.push(`the ${command} command`)
  }
  if (missing.length === 0) {
    const docker = new DockerodeEngine()
    try {
      await docker.ping()
      if (!(await docker.inspectImage(image)))
        missing.push(`image ${image} on the machine's engine (medrec image build)`)
    } catch (error) {
      missing.push(`a Docker engine on this machine (${(error as Error).message})`)
    }
  }
  if (missing.length === 0) return {ok: true}
  const reason = `multi-host tests need ${missing.join(', ')}`
  if (process.env.CI)
    throw new Error(`Multi-host prerequisites are missing under CI (they are required there): ${reason}`)
  console.warn(`Skipping multi-host tests: ${reason}`)
  return {ok: false, reason}
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const runDir = (runId: string) => join(runRoot, `${prefix}-${runId}`)
const runBlock = (runId: string) => `${addressPrefix}.${runId.slice(1)}.0/24`
const netnsName = (runId: string, index: number) => `${prefix}-${runId}-${index}`
// Interface names are at most 15 characters: "mrmhk250-9h" is 11.
const linkName = (runId: string, index: number) => `${prefix}${runId}-${index}h`
const peerLinkName = (runId: string, index: number) => `${prefix}${runId}-${index}n`

/** 10.231.N.x blocks something on the machine already uses (a route or an address). */
async function usedThirdOctets(): Promise<Set<number>> {
  const {stdout} = await run('ip', ['-4', 'route', 'show', 'table', 'all'])
  const {stdout: addresses} = await run('ip', ['-4', '-o', 'addr', 'show'])
  const used = new Set<number>()
  const pattern = new RegExp(`\\b${addressPrefix.replace('.', '\\.')}\\.(\\d+)\\.`, 'g')
  for (const match of `${stdout}\n${addresses}`.matchAll(pattern)) used.add(Number(match[1]))
  return used
}

/** Claims a free /24 for this run: the run directory's creation is atomic, so it is the lock. */
async function claimRun(): Promise<{runId: string; octet: number}> {
  const used = await usedThirdOctets()
  for (let octet = 1; octet <= 250; octet++) {
    if (used.has(octet)) continue
    const runId = `k${octet}`
    try {
      await mkdir(runDir(runId), {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    await writeFile(join(runDir(runId), 'owner'), String(process.pid))
    // A cut link removes its host's route; without this one the machine would then send the
    // host's traffic to its default gateway, out of the test. Dropped instead, as on a lost cable.
    await run('ip', ['route', 'add', 'blackhole', `${addressPrefix}.${octet}.0/24`])
    return {runId, octet}
  }
  throw new Error(`no free /24 in ${addressPrefix}.0.0/16 for the multi-host harness`)
}

/** The iptables chain that sees forwarded traffic before Docker's DROP policy. */
async function forwardChain(): Promise<string> {
  return (await succeeds('iptables', ['-S', 'DOCKER-USER'])) ? 'DOCKER-USER' : 'FORWARD'
}

/**
 * The run's firewall rules for one host's link, in the order they end up in (each is
 * inserted at the top, so they are inserted in reverse): forwarded traffic only between
 * the run's own addresses, and nothing from the host to the machine itself but replies.
 * Without them a namespace could reach anything the machine reaches.
 */
function firewallRules(chain: string, runId: string, block: string, link: string): string[][] {
  const tag = ['-m', 'comment', '--comment', ruleComment(runId)]
  return [
    [chain, '-i', link, '-d', block, ...tag, '-j', 'ACCEPT'],
    [chain, '-o', link, '-s', block, ...tag, '-j', 'ACCEPT'],
    [chain, '-i', link, ...tag, '-j', 'DROP'],
    [chain, '-o', link, ...tag, '-j', 'DROP'],
    ['INPUT', '-i', link, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', ...tag, '-j', 'ACCEPT'],
    ['INPUT', '-i', link, ...tag, '-j', 'DROP'],
  ]
}

const ruleChains = ['DOCKER-USER', 'FORWARD', 'INPUT'] as const

async function waitForEngine(host: TestHost, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) {
      const log = await readFile(logPath, 'utf8').catch(() => '')
      throw new Error(`dockerd of ${host.name} exited (${child.exitCode}):\n${log.split('\n').slice(-15).join('\n')}`)
    }
    if (
      await host.docker.ping().then(
        () => true,
        () => false,
      )
    )
      return
    if (Date.now() > deadline) throw new Error(`dockerd of ${host.name} did not answer within 60 s (log: ${logPath})`)
    await delay(200)
  }
}

async function startHost(runId: string, octet: number, index: number, chain: string): Promise<TestHost> {
  const base = 4 * (index - 1)
  const dir = join(runDir(runId), `h${index}`)
  await mkdir(dir, {recursive: true, mode: 0o700})
  const netns = netnsName(runId, index)
  const link = linkName(runId, index)
  const peer = peerLinkName(runId, index)
  const gateway = `${addressPrefix}.${octet}.${base + 1}`
  const ip = `${addressPrefix}.${octet}.${base + 2}`
  await run('ip', ['netns', 'add', netns])
  await run('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', peer, 'netns', netns])
  await run('ip', ['addr', 'add', `${gateway}/30`, 'dev', link])
  await run('ip', ['link', 'set', link, 'up'])
  await run('ip', ['-n', netns, 'addr', 'add', `${ip}/30`, 'dev', peer])
  await run('ip', ['-n', netns, 'link', 'set', peer, 'up'])
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up'])
  await run('ip', ['-n', netns, 'route', 'add', 'default', 'via', gateway])
  const block = `${addressPrefix}.${octet}.0/24`
  for (const rule of firewallRules(chain, runId, block, link).reverse()) await run('iptables', ['-I', ...rule])

  // Its own daemon config (an empty one: /etc/docker/daemon.json is the machine engine's),
  // containerd namespaces of its own, and a short shutdown so teardown is quick.
  const configFile = join(dir, 'daemon.json')
  await writeFile(configFile, '{}\n')
  const socket = join(dir, 'docker.sock')
  const logPath = join(dir, 'dockerd.log')
  const log = openSync(logPath, 'a')
  // nsenter --net only: `ip netns exec` would also remount /sys, hiding the cgroups dockerd needs.
  const child = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${netns}`,
      'dockerd',
      '--config-file',
      configFile,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '-H',
      `unix://${socket}`,
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--containerd-namespace',
      netns,
      '--containerd-plugins-namespace',
      `${netns}-plugins`,
      '--shutdown-timeout',
      '5',
    ],
    {detached: true, stdio: ['ignore', log, log]},
  )
  closeSync(log)
  child.unref()
  child.on('error', () => {}) // seen as an early exit by waitForEngine
  const endpoint: DockerEndpoint = {host: `unix://${socket}`, from: `the test host h${index}`}
  const host: TestHost = {
    index,
    name: `h${index}`,
    netns,
    link,
    ip,
    gateway,
    dir,
    endpoint,
    engine: new DockerodeEngine(endpoint),
    docker: new Docker({socketPath: socket}),
  }
  await waitForEngine(host, child, logPath)
  return host
}

/**
 * Prints every container of every host with its last `lines` log lines: what each node saw and
 * said when a test failed, so a failure seen once can be read from the test's output.
 */
export async function printHostLogs(hosts: readonly TestHost[], lines: number): Promise<void> {
  for (const host of hosts) {
    for (const c of await host.docker.listContainers({all: true}).catch(() => [])) {
      const logs = await host.engine.logsText(c.Id, lines).catch(() => '')
      console.error(`--- ${host.name} ${c.Names[0]} (${c.State})\n${logs}`)
    }
  }
}

/** Copies an image from the machine's engine into a host's (docker save | docker load). */
async function loadImage(host: TestHost, image: string): Promise<void> {
  const machine = new Docker()
  const tar = await machine.getImage(image).get()
  const progress = await host.docker.loadImage(tar, {quiet: true})
  await new Promise<void>((resolve, reject) =>
    host.docker.modem.followProgress(progress, (error: Error | null, events: {error?: string}[]) => {
      const failed = events?.find((e) => e.error)
      if (error || failed) reject(error ?? new Error(failed!.error))
      else resolve()
    }),
  )
}

/**
 * Creates `count` hosts, each with its own engine holding `image`. Sweeps what crashed runs
 * left first. On any failure, removes what it made before throwing.
 */
export async function createTestHosts(count: number, options: {image: string}): Promise<TestHosts> {
  await sweepStaleTestHosts()
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n')
  const chain = await forwardChain()
  const {runId, octet} = await claimRun()
  const hosts: TestHost[] = []
  const teardown = () => removeRun(runId)
  try {
    for (let index = 1; index <= count; index++) hosts.push(await startHost(runId, octet, index, chain))
    for (const host of hosts) await loadImage(host, options.image)
  } catch (error) {
    const left = await teardown()
    if (left.length > 0) console.warn(`multi-host harness: could not remove ${left.join(', ')}`)
    throw error
  }
  return {
    runId,
    hosts,
    cutLink: async (host) => {
      await run('ip', ['link', 'set', host.link, 'down'])
    },
    restoreLink: async (host) => {
      await run('ip', ['link', 'set', host.link, 'up'])
    },
    teardown,
  }
}

/** The inode of a network namespace file (what /proc/PID/ns/net links to as net:[inode]). */
async function namespaceInode(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => s.ino,
    () => undefined,
  )
}

/** Every process whose network namespace is one of these (by inode). */
async function processesIn(inodes: Set<number>): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const link = await readlink(`/proc/${entry}/ns/net`).catch(() => '')
    const inode = Number(/^net:\[(\d+)\]$/.exec(link)?.[1])
    if (inodes.has(inode)) pids.push(Number(entry))
  }
  return pids
}

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  return text
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length)
}

/** The run's namespaces (its hosts' and their containers'): every process in them is the run's. */
async function runNamespaceInodes(runId: string): Promise<Set<number>> {
  const inodes = new Set<number>()
  const netnsDir = '/var/run/netns'
  for (const name of await readdir(netnsDir).catch(() => [] as string[])) {
    if (!name.startsWith(`${prefix}-${runId}-`)) continue
    const inode = await namespaceInode(join(netnsDir, name))
    if (inode !== undefined) inodes.add(inode)
  }
  const dir = runDir(runId)
  for (const host of await readdir(dir).catch(() => [] as string[])) {
    const containerNamespaces = join(dir, host, 'exec', 'netns')
    for (const name of await readdir(containerNamespaces).catch(() => [] as string[])) {
      const inode = await namespaceInode(join(containerNamespaces, name))
      if (inode !== undefined) inodes.add(inode)
    }
  }
  return inodes
}

/**
 * Removes everything of one run: its engines (asked to stop, which stops their containers;
 * then any process left in the run's namespaces is killed), mounts, directory, namespaces,
 * links and iptables rules. Every step is attempted; returns what is still there.
 */
async function removeRun(runId: string): Promise<string[]> {
  const dir = runDir(runId)
  const hostDirs = await readdir(dir).catch(() => [] as string[])
  const daemons: number[] = []
  for (const host of hostDirs) {
    const pid = Number(await readFile(join(dir, host, 'dockerd.pid'), 'utf8').catch(() => ''))
    if (pid > 0 && isAlive(pid)) daemons.push(pid)
  }
  for (const pid of daemons) process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (daemons.some(isAlive) && Date.now() < deadline) await delay(200)
  // Whatever is left in the run's namespaces (a daemon that did not stop, containerd, shims,
  // containers of a daemon that was killed) was started by this run.
  for (let attempt = 0; attempt < 5; attempt++) {
    const left = await processesIn(await runNamespaceInodes(runId))
    if (left.length === 0) break
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await delay(300)
  }
  for (const mountPoint of await mountsUnder(dir)) await run('umount', ['-l', mountPoint]).catch(() => {})
  await rm(dir, {recursive: true, force: true}).catch(() => {})
  for (const name of await readdir('/var/run/netns').catch(() => [] as string[])) {
    if (name.startsWith(`${prefix}-${runId}-`)) await run('ip', ['netns', 'del', name]).catch(() => {})
  }
  const {stdout: links} = await run('ip', ['-o', 'link', 'show'])
  for (const match of links.matchAll(new RegExp(`^\\d+: (${prefix}${runId}-\\d+h)[@:]`, 'gm')))
    await run('ip', ['link', 'del', match[1]!]).catch(() => {})
  for (const chain of ruleChains) {
    const {stdout} = await run('iptables', ['-S', chain]).catch(() => ({stdout: ''}))
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('-A ') || !line.includes(`--comment ${ruleComment(runId)} `)) continue
      await run('iptables', ['-D', ...line.slice(3).split(' ')]).catch(() => {})
    }
  }
  await run('ip', ['route', 'del', 'blackhole', runBlock(runId)]).catch(() => {})
  return leftovers(runId)
}

/** What of a run is still on the machine. */
async function leftovers(runId: string): Promise<string[]> {
  const left: string[] = []
  if (
    await stat(runDir(runId)).then(
      () => true,
      () => false,
    )
  )
    left.push(`directory ${runDir(runId)}`)
  for (const name of await readdir('/var/run/netns').catch(() => [] as string[]))
    if (name.startsWith(`${prefix}-${runId}-`)) left.push(`network namespace ${name}`)
  const {stdout: links} = await run('ip', ['-o', 'link', 'show'])
  for (const match of links.matchAll(new RegExp(`^\\d+: (${prefix}${runId}-\\d+h)[@:]`, 'gm')))
    left.push(`link ${match[1]}`)
  for (const chain of ruleChains) {
    const {stdout} = await run('iptables', ['-S', chain]).catch(() => ({stdout: ''}))
    for (const line of stdout.split('\n'))
      if (line.includes(`--comment ${ruleComment(runId)} `)) left.push(`iptables rule ${line}`)
  }
  const {stdout: routes} = await run('ip', ['route', 'show', 'type', 'blackhole'])
  if (routes.split('\n').some((line) => line.trim().startsWith(runBlock(runId))))
    left.push(`route blackhole ${runBlock(runId)}`)
  return left
}

/**
 * Removes what earlier runs left behind (a killed test process never ran its teardown):
 * every run whose owning process is gone, found by the harness's names. Returns their ids.
 */
export async function sweepStaleTestHosts(): Promise<string[]> {
  const runIds = new Set<string>()
  const idPattern = new RegExp(`^${prefix}-(k\\d+)`)
  for (const entry of await readdir(runRoot).catch(() => [] as string[])) {
    const id = idPattern.exec(entry)?.[1]
    if (id) runIds.add(id)
  }
  for (const name of await readdir('/var/run/netns').catch(() => [] as string[])) {
    const id = idPattern.exec(name)?.[1]
    if (id) runIds.add(id)
  }
  const {stdout: links} = await run('ip', ['-o', 'link', 'show'])
  for (const match of links.matchAll(new RegExp(`^\\d+: ${prefix}(k\\d+)-\\d+h[@:]`, 'gm'))) runIds.add(match[1]!)
  for (const chain of ruleChains) {
    const {stdout} = await run('iptables', ['-S', chain]).catch(() => ({stdout: ''}))
    for (const match of stdout.matchAll(new RegExp(`--comment ${prefix}-(k\\d+) `, 'g'))) runIds.add(match[1]!)
  }
  const {stdout: routes} = await run('ip', ['route', 'show', 'type', 'blackhole'])
  const blockPattern = new RegExp(`^blackhole ${addressPrefix.replace('.', '\\.')}\\.(\\d+)\\.0/24`, 'gm')
  for (const match of routes.matchAll(blockPattern)) runIds.add(`k${match[1]}`)
  const swept: string[] = []
  for (const runId of runIds) {
    const owner = Number(await readFile(join(runDir(runId), 'owner'), 'utf8').catch(() => ''))
    if (owner > 0 && isAlive(owner)) continue
    await removeRun(runId)
    swept.push(runId)
  }
  return swept
}

/**
 * A stand-in for the ssh client that bridges its stdio to a host's engine socket, as
 * `ssh HOST docker system dial-stdio` does on a real remote host: an ssh:// endpoint then
 * drives that engine through the tool's ssh connection path. Records its arguments.
 */
export async function fakeSshClient(host: TestHost): Promise<{command: string; argsFile: string}> {
  const command = join(host.dir, 'fake-ssh')
  const argsFile = join(host.dir, 'fake-ssh-args.json')
  const socket = host.endpoint.host.slice('unix://'.length)
  await writeFile(
    command,
    `#!${process.execPath}
const fs = require('node:fs'), net = require('node:net')
fs.writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)))
const socket = net.connect(${JSON.stringify(socket)})
process.stdin.pipe(socket).pipe(process.stdout)
socket.on('close', () => process.exit(0))
socket.on('error', (error) => { process.stderr.write(String(error) + '\\n'); process.exit(255) })
`,
  )
  await chmod(command, 0o755)
  return {command, argsFile}
}
