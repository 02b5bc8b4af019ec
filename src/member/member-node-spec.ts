import {createHash} from 'node:crypto'

import {getAddress, keccak256, type Address, type Hex} from 'viem'

import type {ContainerSpec} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethDataDir} from '../geth/geth-node-command.js'
import {enodeUrl, nodeIdFromNodeKey} from '../keys/node-key.js'
import {memberLabels, memberNodeNames, memberResourceNames, type MemberRef} from './member-resources.js'
import {enodeId, type MemberPeer} from './probe-peers.js'
import type {RecordedVote} from './member-votes.js'

/**
 * Everything needed to run one member's node on one engine, as plain values: the formats
 * (node cards, the consortium bundle) and the member workspace produce it; this folder
 * only runs it. Keys are file contents, copied into the node's volume through the Docker
 * archive API, never on a command line.
 */
export type MemberNodeSpec = {
  network: {name: string; chainId: number; period: number; gasLimit: number; image: string}
  /** genesis.json as text, exactly as every member has it. */
  genesisText: string
  member: {
    name: string
    /** Its signer (and provider) account: the keystore's address. */
    address: Address
    /** Where the other members reach its node: published on this host's port, TCP and UDP. */
    advertise: {host: string; port: number}
  }
  /**
   * signer: a founder or an admitted member; it starts alone and connects once it mines (see
   * start-member-node.ts). candidate: proposed, not yet voted in; it connects at once.
   */
  role: 'signer' | 'candidate'
  keys: {keystore: string; password: string; nodeKey: string}
  /** The other members' nodes. */
  peers: MemberPeer[]
  /** A keyless JSON-RPC node on the same engine, published on hostIp:port of that engine's host. */
  rpc?: {hostIp: string; port: number}
  /** This member's own Clique votes still open: its watchdog casts each again when its sealer lost it. */
  votes?: RecordedVote[]
}

/** This member's enode URL: its node key's public key at its advertised address. */
export function memberEnode(spec: MemberNodeSpec): string {
  return enodeUrl(spec.keys.nodeKey, spec.member.advertise.host, spec.member.advertise.port)
}

/**
 * The keyless RPC node's devp2p key, derived from the member's node key so it is the same at
 * every start (its sealer trusts it by id) without another secret to store. One-way: the
 * RPC node's key reveals nothing of the sealer's.
 */
export function rpcNodeKeyOf(nodeKey: string): string {
  return keccak256(`0x${Buffer.from(`medrec rpc node key\n${nodeKey.trim()}`).toString('hex')}` as Hex).slice(2)
}

/** The address a keystore v3 file names (no decryption). */
function keystoreAddress(keystore: string): string | undefined {
  try {
    const address = (JSON.parse(keystore) as {address?: unknown}).address
    return typeof address === 'string' && /^(0x)?[0-9a-fA-F]{40}$/.test(address)
      ? getAddress(address.startsWith('0x') ? address : `0x${address}`)
      : undefined
  } catch {
    return undefined
  }
}

/** Every problem with a spec that would make the node fail later, found before anything is created. */
export function findMemberSpecProblems(spec: MemberNodeSpec): string[] {
  const problems: string[] = []
  const {port} = spec.member.advertise
  if (!Number.isInteger(port) || port < 1 || port > 65_535) problems.push(`advertise.port: ${port} is not a port`)
  if (spec.member.advertise.host.trim() === '') problems.push('advertise.host: empty')
  const inKeystore = keystoreAddress(spec.keys.keystore)
  if (inKeystore === undefined) problems.push('keys.keystore: not a keystore v3 file with an address')
  else if (inKeystore !== getAddress(spec.member.address))
    problems.push(`keys.keystore: holds ${inKeystore}, not the member's address ${spec.member.address}`)
  let ownId: string | undefined
  try {
    ownId = nodeIdFromNodeKey(spec.keys.nodeKey).toLowerCase()
  } catch {
    problems.push('keys.nodeKey: not a node key (64 hex characters)')
  }
  const seen = new Set<string>()
  for (const peer of spec.peers) {
    let id: string
    try {
      id = enodeId(peer.enode)
    } catch {
      problems.push(`peers.${peer.name}: ${peer.enode} is not an enode URL`)
      continue
    }
    if (id === ownId) problems.push(`peers.${peer.name}: has this member's own node key`)
    if (seen.has(id)) problems.push(`peers.${peer.name}: the same node as another peer`)
    seen.add(id)
  }
  if (spec.rpc && (!Number.isInteger(spec.rpc.port) || spec.rpc.port < 1 || spec.rpc.port > 65_535))
    problems.push(`rpc.port: ${spec.rpc.port} is not a port`)
  return problems
}

export function assertMemberSpec(spec: MemberNodeSpec): void {
  const problems = findMemberSpecProblems(spec)
  if (problems.length === 0) return
  throw new MedrecError(errorCodes.INVALID_ARGUMENT, `Member ${spec.member.name}'s node cannot be started as given.`, {
    details: problems,
    hint: 'Fix the member workspace or the consortium bundle it came from. Nothing was created.',
  })
}

/** Label holding a member container's spec digest (withSpecDigest). */
export const specDigestLabel = 'org.medrec.spec-digest'

/**
 * The spec, labelled with a digest of what its container is made from (image, command,
 * published ports and environment when set; peers aside): a container whose label differs is
 * replaced, as docker compose does with its config hash.
 */
export function withSpecDigest(spec: ContainerSpec): ContainerSpec {
  // Unset parts drop out of the JSON, so a container without ports or environment keeps the
  // digest it had when only image and command were hashed.
  const parts = {image: spec.image, cmd: spec.cmd, publish: spec.publish, env: spec.env}
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
  return {...spec, labels: {...spec.labels, [specDigestLabel]: digest}}
}

/** What sets one of a member's containers apart; memberContainerSpec adds what they all share. */
export type MemberContainerParts = Pick<ContainerSpec, 'cmd' | 'network' | 'publish' | 'env' | 'stopTimeoutSeconds'> & {
  /** The named volume mounted at geth's datadir. */
  volume: string
}

/**
 * A container of a member's node (its sealer, RPC node or watchdog): the network's geth image
 * under the node's name and labels, its volume at geth's datadir, restarted by Docker unless
 * stopped, and labelled with its spec digest.
 */
export function memberContainerSpec(
  ref: MemberRef,
  image: string,
  node: keyof typeof memberNodeNames,
  parts: MemberContainerParts,
): ContainerSpec {
  const {volume, ...rest} = parts
  return withSpecDigest({
    name: memberResourceNames(ref)[node],
    image,
    labels: memberLabels(ref, {role: node, node: memberNodeNames[node]}),
    volume: {name: volume, path: gethDataDir},
    restartPolicy: 'unless-stopped',
    ...rest,
  })
}
