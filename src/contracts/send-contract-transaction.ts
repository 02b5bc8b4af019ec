import {BaseError, ContractFunctionRevertedError, type Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hash, type TransactionReceipt} from 'viem'

import type {NetworkPublicClient, NetworkWalletClient} from '../chain/network-clients.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

export type SentContractTransaction = {hash: Hash; receipt: TransactionReceipt}

/**
 * Simulates a contract call (so a refusal is reported with the contract's own error and
 * costs nothing), sends it signed by the wallet's key, and waits for its receipt.
 */
export async function sendContractTransaction<const abi extends Abi, functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'>>(options: {
  publicClient: NetworkPublicClient
  walletClient: NetworkWalletClient
  address: Address
  abi: abi
  functionName: functionName
  /** Always a tuple: viem types some argument lists as `unknown`, which the intersection rules out. */
  args: ContractFunctionArgs<abi, 'nonpayable' | 'payable', functionName> & readonly unknown[]
  /** How to name the action in messages, e.g. "accept relationship 0x…". */
  action: string
}): Promise<SentContractTransaction> {
  // The signature above ties functionName and args to the ABI for every caller; inside, the
  // call is the same for any function, so it goes through viem's untyped (plain Abi) form.
  const abi: Abi = options.abi
  const args: readonly unknown[] = options.args
  try {
    const {request} = await options.publicClient.simulateContract({
      account: options.walletClient.account,
      address: options.address,
      abi,
      functionName: options.functionName,
      args,
    })
    const hash = await options.walletClient.writeContract(request)
    const receipt = await options.publicClient.waitForTransactionReceipt({hash, timeout: 120_000})
    if (receipt.status !== 'success') {
      throw new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${options.action}: transaction ${hash} reverted.`, {hint: 'Run the command again to see the reason.'})
    }
    return {hash, receipt}
  } catch (error) {
    throw explainContractError(error, options.action, options.walletClient.account.address)
  }
}

/** Turns a viem error into a MedrecError that names the contract's custom error, if any. */
export function explainContractError(error: unknown, action: string, sender?: Address): unknown {
  if (error instanceof MedrecError || !(error instanceof BaseError)) return error
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
  if (revert) {
    const name = revert.data?.errorName ?? revert.reason ?? 'an unnamed error'
    const args = revert.data?.args?.map(String).join(', ')
    return new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${action}: the contract refused with ${name}${args ? `(${args})` : ''}.`, {
      hint: hintForRevert(name, sender),
      cause: error,
    })
  }
  if (/insufficient funds/i.test(error.message)) {
    return new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${action}: ${sender ?? 'the account'} cannot pay for gas.`, {
      hint: 'Fund the account: `medrec account fund NAME`.',
      cause: error,
    })
  }
  return new MedrecError(errorCodes.RPC_FAILED, `Could not ${action}: ${error.shortMessage}`, {hint: 'Check that the network is up: `medrec network status`.', cause: error})
}

const revertHints: Record<string, string> = {
  NotGovernance: 'Only the Registrar\'s governance may do this; once the Consortium governs, providers join and leave through `medrec provider add` and `medrec provider remove`.',
  NotMember: 'Only a sealing provider of the consortium may vote; sign with a sealer\'s key (see `medrec provider list`).',
  AlreadyVoted: 'This provider has already voted for that proposal; see `medrec provider list` for the tally.',
  NotVoted: 'This provider has no vote on that proposal to withdraw.',
  AlreadyCertified: 'That provider is already on the whitelist.',
  AlreadyMember: 'That account already votes as a sealing provider.',
  LastMember: 'The last sealing provider cannot be removed: nobody would govern or seal.',
  WrongAccount: 'That provider identity is registered to another account.',
  NotCertifiedProvider: 'Only a provider the consortium has certified may do this.',
  NotRegistered: 'The signing account is not a registered participant.',
  NotPatient: 'Only the relationship\'s patient may do this: sign with --as PATIENT.',
  NotSteward: 'Only the relationship\'s steward may do this.',
  UnknownIdentity: 'No participant has that identity; register it first (`medrec registrar register`).',
  IdentityTaken: 'That identity is already registered; look it up with `medrec registrar show`.',
  AccountTaken: 'That account already belongs to a participant; look it up with `medrec registrar show`.',
  InvalidTransition: 'The relationship is not in a state that allows this (see `medrec relationship show`); a rejected or ended one needs a new proposal.',
  NotAccepted: 'The relationship must be accepted by the patient first.',
  ExpiryInPast: 'Choose an expiry in the future.',
  ViewerNotGranted: 'That viewer has no grant on this relationship.',
  NoPendingRegistration: 'That provider has no pending offer of that enrolment to this account; ask it to offer again.',
  NotCertified: 'That provider is not on the whitelist (see `medrec provider list`).',
  ProviderSelfRotation:
    'A provider\'s account moves only by a consortium majority (recoverSteward); a sealing provider is removed ' +
    'and added again at its new account, which moves its Clique signer too.',
  SealingMemberNeedsReadmission:
    'A sealing provider\'s account is its Clique signer: remove it (`medrec provider remove`), recover its ' +
    'identity, and add it again with its new key.',
  NotGuardian: 'Only a guardian the patient named may approve its recovery.',
  RecoveryPending: 'A recovery of this patient is already pending; the patient can cancel it with its current key.',
  NoPendingRecovery: 'No recovery of this patient is pending (it was never started, or the patient cancelled it).',
  NotRecoveryAccount: 'Only the recovery\'s new account may complete it, with its own key or signature.',
  RecoveryNotReady: 'The recovery\'s delay is not over yet; the patient may still cancel it.',
  GovernanceRecoveryDisabled: 'This patient opted out of recovery by the consortium.',
}

function hintForRevert(errorName: string, sender: Address | undefined): string {
  const hint = revertHints[errorName] ?? 'See the contract\'s NatSpec for when this error is raised.'
  return sender ? `${hint} (sent from ${sender})` : hint
}
