import type {ContainerEngine} from '../docker/container-engine.js'
import {gethIpcEval} from '../geth/geth-ipc.js'

// The reconciler talks to the nodes over their IPC (geth attach through the Docker exec API),
// like every other conversation with a sealer: it needs nothing but the Docker socket, neither
// the RPC node nor a network of its own. Each call starts a `geth attach` (~80 ms of CPU), so
// one call asks for everything needed at that moment. Its Clique reads are in clique/.

/** A restarted node's progress: its head, peer count, and whether it mines (only then is it deemed synced). */
export function syncLookOf(
  engine: ContainerEngine,
  containerId: string,
  name: string,
): Promise<{head: number; peers: number; mining: boolean}> {
  return gethIpcEval(
    engine,
    containerId,
    name,
    '{head: eth.blockNumber, peers: admin.peers.length, mining: eth.mining}',
  )
}

const enodePattern = /^enode:\/\/[0-9a-f]{128}@[0-9.]+:\d{1,5}(\?discport=\d{1,5})?$/

/** A node's own enode URL (admin.nodeInfo), checked before it is ever put in a console expression. */
export async function enodeOf(engine: ContainerEngine, containerId: string, name: string): Promise<string> {
  const enode = await gethIpcEval<string>(engine, containerId, name, 'admin.nodeInfo.enode')
  if (!enodePattern.test(enode)) throw new Error(`${name} reported an enode URL this tool does not use: ${enode}`)
  return enode
}

/**
 * Drops and re-dials each peer from the node's side: a fresh handshake tells each side the
 * other's current total difficulty, which is what starts a sync.
 */
export async function reHandshake(
  engine: ContainerEngine,
  containerId: string,
  name: string,
  enodes: readonly string[],
): Promise<void> {
  const calls = enodes
    .filter((e) => enodePattern.test(e))
    .flatMap((e) => [`admin.removePeer("${e}")`, `admin.addPeer("${e}")`])
  if (calls.length > 0) await gethIpcEval(engine, containerId, name, `[${calls.join(', ')}]`)
}
