import {connect} from 'node:net'

/** A peer as the consortium knows it: its member name, enode URL, and signer address when it has one. */
export type MemberPeer = {name: string; enode: string; address?: string}

export type PeerProbe = {name: string; address: string; reachable: boolean; error?: string}

/** host:port of an enode URL (enode://ID@HOST:PORT?discport=…). IPv6 hosts keep their brackets. */
export function enodeAddress(enode: string): {host: string; port: number} {
  const match = /^enode:\/\/[0-9a-f]{128}@(\[[^\]]+\]|[^:/?]+):(\d+)/i.exec(enode)
  if (!match) throw new Error(`not an enode URL with a host and port: ${enode}`)
  return {host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2])}
}

/** The node id of an enode URL (the 128 hex characters of its public key), lowercase. */
export function enodeId(enode: string): string {
  const match = /^enode:\/\/([0-9a-f]{128})@/i.exec(enode)
  if (!match) throw new Error(`not an enode URL: ${enode}`)
  return match[1]!.toLowerCase()
}

/** Whether a TCP connection to host:port opens within `timeoutMs` (devp2p listens on TCP). */
export async function probeTcp(
  host: string,
  port: number,
  timeoutMs = 3000,
): Promise<{reachable: true} | {reachable: false; error: string}> {
  return new Promise((resolve) => {
    const socket = connect({host, port})
    const done = (result: {reachable: true} | {reachable: false; error: string}) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done({reachable: false, error: `no answer within ${timeoutMs} ms`}), timeoutMs)
    socket.once('connect', () => done({reachable: true}))
    socket.once('error', (error: NodeJS.ErrnoException) => done({reachable: false, error: error.code ?? error.message}))
  })
}

/**
 * Probes every peer's advertised address from this machine, all at once. An unreachable
 * peer is reported, not fatal: a founder that starts first finds nobody yet.
 */
export async function probePeers(peers: readonly MemberPeer[], timeoutMs = 3000): Promise<PeerProbe[]> {
  return Promise.all(
    peers.map(async (peer) => {
      const {host, port} = enodeAddress(peer.enode)
      const address = `${host.includes(':') ? `[${host}]` : host}:${port}`
      const result = await probeTcp(host, port, timeoutMs)
      return result.reachable
        ? {name: peer.name, address, reachable: true}
        : {name: peer.name, address, reachable: false, error: result.error}
    }),
  )
}

/** "b at 10.0.0.2:30303 (ECONNREFUSED), c at …": unreachable peers in words. */
export function describeUnreachable(probes: readonly PeerProbe[]): string {
  return probes
    .filter((p) => !p.reachable)
    .map((p) => `${p.name} at ${p.address} (${p.error})`)
    .join(', ')
}
