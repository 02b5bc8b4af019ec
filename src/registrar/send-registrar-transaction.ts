import type {ContractFunctionArgs, ContractFunctionName} from 'viem'

import type {NetworkWalletClient} from '../workspace/network-clients.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import {sendContractTransaction, type SentContractTransaction} from '../contracts/send-contract-transaction.js'
import type {RegistrarContext} from './open-registrar.js'

/** A Registrar function that changes state. */
export type RegistrarWriteName = ContractFunctionName<typeof registrarAbi, 'nonpayable'>

/** That function's arguments, as its ABI types them. */
export type RegistrarWriteArgs<F extends RegistrarWriteName> = ContractFunctionArgs<
  typeof registrarAbi,
  'nonpayable',
  F
> &
  readonly unknown[]

/**
 * `signer` calls the Registrar's `functionName` (simulated first, so a refusal names the
 * contract's error and costs nothing) and waits for the receipt.
 */
export async function sendRegistrarTransaction<F extends RegistrarWriteName>(
  context: RegistrarContext,
  signer: NetworkWalletClient,
  functionName: F,
  args: RegistrarWriteArgs<F>,
  action: string,
): Promise<SentContractTransaction> {
  return sendContractTransaction({
    publicClient: context.publicClient,
    walletClient: signer,
    address: context.registrar,
    abi: registrarAbi,
    functionName,
    args,
    action,
  })
}
