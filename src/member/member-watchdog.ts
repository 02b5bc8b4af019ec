import type {ContainerSpec} from '../docker/container-engine.js'
import {gethIpcPath, rpcP2pPort} from '../geth/geth-node-command.js'
import {enodeUrl} from '../keys/node-key.js'
import {memberContainerSpec, rpcNodeKeyOf, type MemberNodeSpec} from './member-node-spec.js'
import {stallAfterMs} from './member-readiness.js'
import type {RecordedVote} from './member-votes.js'
import {memberResourceNames, type MemberRef} from './member-resources.js'

/** How often the watchdog looks at the head, in seconds. */
const watchdogPollSeconds = 5

/**
 * The watchdog's program for geth's console (ES5: the console is goja). Every few seconds
 * it reads the head; when the head has not moved for `stallSeconds` while the sealer is
 * connected to one of its peers (its own RPC node does not count), it drops and re-adds the
 * peers it is the one to redial (peersToRedial: the same rule, in the console's JavaScript),
 * so each pair handshakes again with its current total difficulty. It only logs and
 * reconnects; it never touches keys or mining.
 *
 * Why a sealer needs it after start-up too: seen in this repository's multi-host test with
 * geth v1.13.15, three signers, one host's link cut just as it sealed a block. Of the two
 * left, one took the cut-off signer's last block and sealed the next; the other received
 * neither (the propagated blocks went to the dead peer, the survivor got announcements only,
 * and a block whose parent it lacks is dropped), so it never learnt that its live peer's
 * chain was heavier: a node learns a peer's total difficulty only at the handshake and from
 * a full propagated block (eth/handler_eth.go:131). Each then waited for the other ("signed
 * recently") with no block for good. A new handshake tells the one behind to sync.
 *
 * It also keeps this member's own Clique votes (`votes`, recorded in its workspace before each was
 * cast): geth holds proposals in memory only, so a sealer that restarted before the vote passed has
 * lost it, and the member cannot vote again on chain (its on-chain vote stands). At every look, a
 * vote that the signer set does not show yet and that the sealer does not hold is proposed again.
 * Once the signer set shows a vote's change, the proposal is discarded (geth would otherwise cast
 * it again should the others ever reverse the change) and the vote is never cast again by this run.
 *
 * And it keeps the member's keyless RPC node (`follower`, its enode by container name) connected:
 * that node dials the sealer by name, but geth resolves a name once, when it parses the URL, and a
 * restarted sealer may get another address on the member's Docker network; the RPC node then
 * serves a head that no longer moves (seen in member-cli.e2e after a sealer restart). Dialled from
 * the sealer, the name is resolved anew.
 */
export function watchdogScript(
  peers: readonly string[],
  stallSeconds: number,
  votes: readonly RecordedVote[] = [],
  follower?: string,
) {
  return `var peers = ${JSON.stringify(peers)};
var follower = ${JSON.stringify(follower ?? null)};
var followerLinked = true;
var keepFollower = function () {
  if (!follower) return;
  var linked = admin.peers.some(function (p) { return idOf(p.enode) === idOf(follower); });
  // geth keeps one static dial per node id: the entry with the old address goes first.
  if (!linked) { admin.removePeer(follower); admin.addPeer(follower); }
  if (linked !== followerLinked) console.log('medrec watchdog: its RPC node is ' + (linked ? 'connected again' :
    'not connected: dialling it by name'));
  followerLinked = linked;
};
var lastTrouble = {};
// A duty that fails (the RPC node not running: its name does not resolve; the sealer restarting) is
// logged when its error changes and tried again at the next look; it never ends the loop.
var guard = function (name, duty) {
  try { duty(); lastTrouble[name] = undefined; } catch (e) {
    if (String(e) !== lastTrouble[name]) console.log('medrec watchdog: could not ' + name + ': ' + e);
    lastTrouble[name] = String(e);
  }
};
var votes = ${JSON.stringify(votes.map((v) => ({address: v.address.toLowerCase(), authorize: v.authorize})))};
var passed = {};
var keepVotes = function () {
  if (votes.length === 0) return;
  var signers = clique.getSigners().map(function (s) { return s.toLowerCase(); });
  var held = {};
  var proposals = clique.proposals;
  for (var key in proposals) held[key.toLowerCase()] = proposals[key];
  for (var i = 0; i < votes.length; i++) {
    var v = votes[i];
    if (passed[v.address]) continue;
    if ((signers.indexOf(v.address) >= 0) === v.authorize) {
      passed[v.address] = true;
      if (held[v.address] !== undefined) clique.discard(v.address);
      continue;
    }
    if (held[v.address] === v.authorize) continue;
    clique.propose(v.address, v.authorize);
    console.log('medrec watchdog: its sealer had lost its vote to ' + (v.authorize ? 'add ' : 'remove ') +
      v.address + ': cast it again');
  }
};
var idOf = function (enode) { return enode.slice(8, 136).toLowerCase(); };
var ids = peers.map(idOf);
var self = idOf(admin.nodeInfo.enode);
var mine = peers.filter(function (enode) { return idOf(enode) > self; });
var stallMs = ${stallSeconds * 1000};
var last = eth.blockNumber;
var movedAt = Date.now();
console.log('medrec watchdog: watching block ' + last + ', ' + peers.length + ' peers (' + mine.length +
  ' redialled from here), stall after ' + (stallMs / 1000) + ' s, keeping ' + votes.length + ' votes');
guard('keep its votes', keepVotes);
while (true) {
  admin.sleep(${watchdogPollSeconds});
  guard('keep its votes', keepVotes);
  guard('reach its RPC node', keepFollower);
  var head = eth.blockNumber;
  if (head !== last) { last = head; movedAt = Date.now(); continue; }
  var connected = admin.peers.filter(function (p) { return ids.indexOf(idOf(p.enode)) >= 0; }).length;
  if (Date.now() - movedAt < stallMs || connected === 0) continue;
  console.log('medrec watchdog: no new block for ' + Math.round((Date.now() - movedAt) / 1000) + ' s at block ' +
    head + ' with ' + connected + ' peers connected: reconnecting to ' + mine.length + ' of them');
  for (var i = 0; i < mine.length; i++) { admin.removePeer(mine[i]); admin.addPeer(mine[i]); }
  movedAt = Date.now();
}`
}

/**
 * Which peers a node reconnects to when it is stalled: those whose node id is greater than
 * its own. Of each pair exactly one side acts: two nodes that drop and dial each other at
 * the same moment can both lose the link (each keeps the connection it registered first and
 * drops the other as a duplicate, p2p/server.go) and then wait 35 s to dial again
 * (p2p/dial.go), which the multi-host test showed when both survivors' watchdogs fired.
 */
export function peersToRedial(ownId: string, peers: readonly string[]): string[] {
  const own = ownId.toLowerCase()
  return peers.filter((enode) => enode.slice(8, 136).toLowerCase() > own)
}

/**
 * The watchdog beside a member's sealer: the pinned geth image running `geth attach` on the
 * sealer's IPC socket (from its volume), with no network of its own. Docker's restart policy
 * brings it back when the sealer restarts (its console then fails and exits).
 */
export function watchdogContainerSpec(spec: MemberNodeSpec, ref: MemberRef): ContainerSpec {
  const stallSeconds = Math.round(stallAfterMs(spec.network.period) / 1000)
  const cmd = [
    'attach',
    '--exec',
    watchdogScript(
      spec.peers.map((p) => p.enode),
      stallSeconds,
      spec.votes ?? [],
      spec.rpc ? enodeUrl(rpcNodeKeyOf(spec.keys.nodeKey), memberResourceNames(ref).rpc, rpcP2pPort) : undefined,
    ),
    gethIpcPath,
  ]
  return memberContainerSpec(ref, spec.network.image, 'watchdog', {
    cmd,
    volume: memberResourceNames(ref).sealerVolume,
    stopTimeoutSeconds: 5,
  })
}
