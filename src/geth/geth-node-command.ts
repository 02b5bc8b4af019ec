/** Where each node's volume is mounted and what the tool copies into it. */
export const gethDataDir = '/data'
export const gethBinaryPath = '/usr/local/bin/geth'
export const gethIpcPath = `${gethDataDir}/geth.ipc`
/** geth's instance directory under the datadir: the chain database and the node database, nothing else we write. */
export const gethChainDir = `${gethDataDir}/geth`
export const rpcContainerPort = 8545
/** The keyless RPC node's devp2p port on the Docker network (sealers' ports are in medrec.yaml). */
export const rpcP2pPort = 30_303
/** The JSON-RPC modules a user may reach: nothing that holds keys or changes the node. */
export const publicRpcModules = ['eth', 'net', 'web3', 'clique'] as const

type CommonOptions = {chainId: number; ip: string; p2pPort: number}

function commonArgs(options: CommonOptions): string[] {
  return [
    '--datadir',
    gethDataDir,
    '--config',
    `${gethDataDir}/config.toml`,
    '--networkid',
    String(options.chainId),
    '--syncmode',
    'full',
    // Archive: every block's state is written as it is imported. With gcmode full (hash
    // scheme) state is flushed only on a clean shutdown, so a crash of every node would
    // rewind the chain to the last clean stop and lose the transactions since.
    '--gcmode',
    'archive',
    // geth 1.13 always serves the engine API; keep it on the container's loopback (JWT).
    '--authrpc.addr',
    '127.0.0.1',
    '--authrpc.port',
    '8551',
    '--port',
    String(options.p2pPort),
    '--nat',
    `extip:${options.ip}`,
    // Peers come only from the static list in config.toml; discovery stays off.
    '--nodiscover',
    '--nodekey',
    `${gethDataDir}/nodekey`,
    '--ipcpath',
    gethIpcPath,
    '--verbosity',
    '3',
  ]
}

/**
 * A sealer's Go runtime environment. Unlocking a standard keystore allocates scrypt's
 * 256 MiB buffer (N=2^18, r=8); once it is garbage, Go keeps the pages until a forced GC and
 * its slow scavenger, so a sealer sat at ~283 MiB resident. A soft memory limit makes the
 * runtime collect and return them at once (measured: ~25 MiB after a minute, unlock time
 * unchanged). It is soft: a sealer whose live heap outgrows it keeps running, with the GC
 * working harder (capped at half the CPU), so it is set well above what a consortium chain's
 * sealer holds. GOGC would not do: geth sets its own GC percentage at start.
 */
export const sealerEnvironment: Readonly<Record<string, string>> = {GOMEMLIMIT: '128MiB'}

/**
 * A sealer: holds an unlocked key, so it serves no HTTP or WebSocket at all. The tool
 * talks to it over IPC through the Docker exec API.
 */
export function sealerCommand(options: CommonOptions & {signer: string; gasLimit: number}): string[] {
  return [
    ...commonArgs(options),
    '--mine',
    '--miner.etherbase',
    options.signer,
    '--miner.gaslimit',
    String(options.gasLimit),
    '--unlock',
    options.signer,
    '--password',
    `${gethDataDir}/password`,
  ]
}

/** The keyless node users reach: JSON-RPC with public modules only, no CORS, explicit vhosts. */
export function rpcNodeCommand(options: CommonOptions & {vhosts: string[]}): string[] {
  return [
    ...commonArgs(options),
    '--http',
    '--http.addr',
    '0.0.0.0',
    '--http.port',
    String(rpcContainerPort),
    '--http.api',
    publicRpcModules.join(','),
    '--http.vhosts',
    options.vhosts.join(','),
  ]
}

/**
 * The node's config.toml (`maxPeers`: by default the trusted nodes' count): static peers
 * (static-nodes.json is ignored since geth 1.11), trusted peers (all other nodes; by default
 * the static ones). MaxPeers is the number of other nodes because geth syncs only once it
 * has min(5, MaxPeers) peers, or after a forced 10 s cycle: with the default of 50, a small
 * consortium would sit on a startup fork for 10 s. DialRatio 1 lets a node dial every static
 * peer itself; trusted peers may connect inbound beyond MaxPeers.
 */
export function gethConfigToml(
  staticNodes: readonly string[],
  trustedNodes: readonly string[] = staticNodes,
  options: {genesisToml?: string; maxPeers?: number} = {},
): string {
  const {genesisToml, maxPeers = trustedNodes.length} = options
  const list = (enodes: readonly string[]) => enodes.map((enode) => `  "${enode}",`).join('\n')
  const p2p = [
    '[Node.P2P]',
    'NoDiscovery = true',
    `MaxPeers = ${Math.max(1, maxPeers)}`,
    'DialRatio = 1',
    `StaticNodes = [\n${list(staticNodes)}\n]`,
    `TrustedNodes = [\n${list(trustedNodes)}\n]`,
    '',
  ].join('\n')
  // The genesis (gethGenesisToml) for a node that starts on an empty database every time.
  return genesisToml === undefined ? p2p : `${p2p}\n${genesisToml}`
}
