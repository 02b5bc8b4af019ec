import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import type {ReconcilerReport} from '../../reconciler/reconciler-status.js'
import {readNetworkStatus, type NetworkStatus} from '../../status/network-status.js'

/** One line: its liveness, then what it last did and when. */
function describeReconciler(r: ReconcilerReport): string {
  const parts: string[] = [r.status]
  if (r.heartbeatAgeSeconds !== null && r.status !== 'stopped') parts.push(`heartbeat ${r.heartbeatAgeSeconds} s ago`)
  if (r.restarts > 0) parts.push(`restarted by Docker ${r.restarts} time${r.restarts === 1 ? '' : 's'}`)
  if (r.lastReconcileAt) parts.push(`last reconcile ${r.lastReconcileAt}`)
  if (r.lastAction) parts.push(`last action: ${r.lastAction}`)
  if (r.lastError) parts.push(`last error: ${r.lastError}`)
  if (r.status === 'missing' || r.status === 'stopped') parts.push('`medrec network up` starts it')
  return parts.join('; ')
}

export default class NetworkStatusCommand extends MedrecCommand {
  async run(): Promise<NetworkStatus> {
    const {flags} = await this.parse(NetworkStatusCommand)
    const status = await readNetworkStatus(this.dockerNetwork(flags))
    const age = status.headAgeSeconds === null ? '' : ` (${status.headAgeSeconds} s ago)`
    this.log(`Network   ${status.name}  (${status.state})`)
    this.log(`Chain id  ${status.chainId}`)
    const rpc = status.rpc.reachable ? 'answering' : `not answering; container ${status.rpc.container}`
    this.log(`JSON-RPC  ${status.rpcUrl}  (${rpc})`)
    this.log(`Head      ${status.blockNumber ?? '-'}${age}`)
    const l = status.liveness
    const stalled = `${l.stalled ? ' - STALLED' : ''}${l.reason ? `: ${l.reason}` : ''}`
    this.log(`Liveness  ${l.online}/${l.signers} signers online, ${l.needed} needed${stalled}`)
    for (const d of status.drift) this.log(`Drift     ${d}`)
    this.log(`Reconciler ${describeReconciler(status.reconciler)}`)
    this.log('')
    const rows = [
      ['SEALER', 'ADDRESS', 'CONTAINER', 'PEERS', 'SEALED/64', 'SIGNER'],
      ...status.sealers.map((s) => [
        s.name,
        s.address,
        s.container,
        s.peers === null ? '-' : String(s.peers),
        s.sealedRecently === null ? '-' : String(s.sealedRecently),
        s.isSigner ? 'yes' : 'no',
      ]),
    ]
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
    for (const row of rows)
      this.log(
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
    return status
  }
}

describeCommand(NetworkStatusCommand, import.meta.url)
