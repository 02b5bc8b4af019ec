import {getAddress, parseEventLogs, zeroAddress, type Address, type Hash, type Hex} from 'viem'

import {registrarAbi} from '../contracts/abi/registrar.js'
import {openRegistrar} from './open-registrar.js'
import {patientSigner} from './recovery-input.js'
import {sendRegistrarTransaction} from './send-registrar-transaction.js'

export type CancelRecoveryResult = {
  patient: Hex
  account: Address
  /** The new account of the recovery that was pending, or null if none was (approvals still lapse). */
  cancelled: Address | null
  transactions: Hash[]
}

/**
 * The patient's current key vetoes its pending recovery, if any, and voids every guardian
 * approval given so far. Possible at any time before the recovery completes.
 */
export async function cancelRecovery(options: {dir: string; as: string}): Promise<CancelRecoveryResult> {
  const context = await openRegistrar(options.dir)
  const {signer, patient} = await patientSigner(context, options.as)
  const {hash, receipt} = await sendRegistrarTransaction(
    context,
    signer,
    'cancelRecovery',
    [],
    `cancel the recovery of patient ${patient.id}`,
  )
  const event = parseEventLogs({abi: registrarAbi, eventName: 'RecoveryCancelled', logs: receipt.logs}).find(
    (log) => getAddress(log.address) === context.registrar,
  )
  const pending = event ? getAddress(event.args.newAccount) : zeroAddress
  return {
    patient: patient.id,
    account: patient.account,
    cancelled: pending === zeroAddress ? null : pending,
    transactions: [hash],
  }
}
