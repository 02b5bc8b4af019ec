import {cliqueVotesNeeded} from '../clique/votes-needed.js'
import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {readNodeChainView} from '../clique/node-chain-view.js'
import {findMemberResources, memberContainer, memberNodeNames, type MemberRef} from './member-resources.js'
import {enodeId, probePeers, type MemberPeer} from './probe-peers.js'

export type MemberNodeStatus = {
  network: string
  member: string
  engine: string
  nodes: {node: string; state: string; restartCount: number}[]
  /** What its sealer sees; absent when the sealer is not running or does not answer. */
  chain?: {
    blockNumber: number
    headHash: string
    headAgeSeconds: number
    signer: boolean
    mining: boolean
    signers: number
    /** For a member not (yet) a signer: the votes to admit it seen in blocks. */
    votes?: {received: number; signers: number; needed: number}
  }
  peers: {name: string; address: string; reachable: boolean; error?: string; connected: boolean | null}[]
}

/** This member's nodes on the engine, what its sealer sees, and whether each peer is reachable and connected. */
export async function memberNodeStatus(
  engine: ContainerEngine,
  ref: MemberRef,
  options: {address: string; peers: readonly MemberPeer[]; probeTimeoutMs?: number},
): Promise<MemberNodeStatus> {
  await engine.ping()
  const resources = await findMemberResources(engine, ref)
  const nodes = resources.containers
    .filter((c) => ['sealer', 'rpc', 'watchdog'].includes(c.labels[labelKeys.role] ?? ''))
    .map((c) => ({node: c.labels[labelKeys.node] ?? c.name, state: c.state, restartCount: c.restartCount}))
  const sealer = memberContainer(resources, memberNodeNames.sealer)
  const [probes, view] = await Promise.all([
    probePeers(options.peers, options.probeTimeoutMs),
    sealer?.state === 'running'
      ? readNodeChainView(engine, sealer.id, ref.member, 1).catch((error: unknown) => {
          if (error instanceof MedrecError && error.code === errorCodes.IPC_FAILED) return undefined
          throw error
        })
      : Promise.resolve(undefined),
  ])
  const me = options.address.toLowerCase()
  let chain: MemberNodeStatus['chain']
  if (view) {
    const signer = view.signers.includes(me)
    const tally = view.tally[me]
    chain = {
      blockNumber: view.head.number,
      headHash: view.head.hash,
      headAgeSeconds: Math.max(0, Math.round(Date.now() / 1000 - view.head.timestamp)),
      signer,
      mining: view.mining,
      signers: view.signers.length,
      ...(signer
        ? {}
        : {
            votes: {
              received: tally?.authorize ? tally.votes : 0,
              signers: view.signers.length,
              needed: cliqueVotesNeeded(view.signers.length),
            },
          }),
    }
  }
  const connected = view ? new Set(view.peers) : undefined
  return {
    network: ref.network,
    member: ref.member,
    engine: engine.describeEndpoint(),
    nodes,
    ...(chain ? {chain} : {}),
    peers: probes.map((probe) => {
      const peer = options.peers.find((p) => p.name === probe.name)!
      return {...probe, connected: connected ? connected.has(enodeId(peer.enode)) : null}
    }),
  }
}
