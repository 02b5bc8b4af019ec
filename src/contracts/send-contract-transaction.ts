import {
  BaseError,
  ContractFunctionRevertedError,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type TransactionReceipt,
} from 'viem'

import type {NetworkPublicClient, NetworkWalletClient} from '../workspace/network-clients.js'
import {errorCodes, type ErrorCode} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

export type SentContractTransaction = {hash: Hash; receipt: TransactionReceipt}

/**
 * Simulates a contract call (so a refusal is reported with the contract's own error and
 * costs nothing), sends it signed by the wallet's key, and waits for its receipt.
 */
export async function sendContractTransaction<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'>,
>(options: {
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
      throw new MedrecError(
        errorCodes.CONTRACT_REVERTED,
        `Could not ${options.action}: transaction ${hash} reverted.`,
        {hint: 'Run the command again to see the reason.'},
      )
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
    const revertArgs = revert.data?.args ?? []
    const args = revertArgs.map(String).join(', ')
    const code = Object.hasOwn(revertCodes, name) ? revertCodes[name]! : errorCodes.CONTRACT_REVERTED
    const message = `Could not ${action}: the contract refused with ${name}${args ? `(${args})` : ''}.`
    return new MedrecError(code, message, {hint: hintForRevert(name, revertArgs, sender), cause: error})
  }
  if (/insufficient funds/i.test(error.message)) {
    return new MedrecError(
      errorCodes.CONTRACT_REVERTED,
      `Could not ${action}: ${sender ?? 'the account'} cannot pay for gas.`,
      {
        hint: 'Fund the account: `medrec account fund NAME`.',
        cause: error,
      },
    )
  }
  return new MedrecError(errorCodes.RPC_FAILED, `Could not ${action}: ${error.shortMessage}`, {
    hint: 'Check that the network is up: `medrec network status`.',
    cause: error,
  })
}

/**
 * Refusals a user answers differently get a code of their own (the rest are
 * CONTRACT_REVERTED): a recovery not ready yet is waited for, one not pending is not.
 */
const revertCodes: Record<string, ErrorCode> = {
  RecoveryNotReady: errorCodes.RECOVERY_NOT_READY,
  NoPendingRecovery: errorCodes.RECOVERY_NOT_PENDING,
  RecoveryPending: errorCodes.RECOVERY_ALREADY_PENDING,
  NotGuardian: errorCodes.RECOVERY_NOT_GUARDIAN,
  AlreadyApproved: errorCodes.RECOVERY_ALREADY_APPROVED,
  NotVoted: errorCodes.NOT_VOTED,
  NotRecoveryAccount: errorCodes.RECOVERY_WRONG_ACCOUNT,
}

/** A chain timestamp (seconds) as ISO 8601, for hints. */
function chainTimeText(seconds: unknown): string {
  const value = Number(seconds)
  return Number.isFinite(value) && value > 0 && value < 8.64e12 ? new Date(value * 1000).toISOString() : String(seconds)
}

/** What to do about each custom error; a function when the error's arguments say more. */
const revertHints: Record<string, string | ((args: readonly unknown[]) => string)> = {
  NotGovernance:
    "Only the Registrar's governance may do this; once the Consortium governs, providers " +
    'join and leave through `medrec provider add` and `medrec provider remove`.',
  NotMember:
    "Only a sealing provider of the consortium may vote; sign with a sealer's key (see `medrec provider list`).",
  AlreadyVoted: 'This provider has already voted for that proposal; see `medrec provider list` for the tally.',
  NotVoted: 'This provider has no vote on that proposal to withdraw.',
  AlreadyCertified: 'That provider is already on the whitelist.',
  AlreadyMember: 'That account already votes as a sealing provider.',
  LastMember: 'The last sealing provider cannot be removed: nobody would govern or seal.',
  WrongAccount: 'That provider identity is registered to another account.',
  NotCertifiedProvider: 'Only a provider the consortium has certified may do this.',
  NotRegistered: 'The signing account is not a registered participant.',
  NotPatient: 'Only the patient may do this, with its current key: sign with --as PATIENT.',
  NotSteward: "Only the relationship's steward may do this.",
  UnknownIdentity: 'No participant has that identity; register it first (`medrec registrar register`).',
  IdentityTaken: 'That identity is already registered; look it up with `medrec registrar show`.',
  AccountTaken: 'That account already belongs to a participant; look it up with `medrec registrar show`.',
  InvalidTransition:
    'The relationship is not in a state that allows this (see `medrec ' +
    'relationship show`); a rejected or ended one needs a new proposal.',
  NotAccepted: 'The relationship must be accepted by the patient first.',
  ExpiryInPast: 'Choose an expiry in the future.',
  ViewerNotGranted: 'That viewer has no grant on this relationship.',
  NoPendingRegistration: 'That provider has no pending offer of that enrolment to this account; ask it to offer again.',
  NotCertified: 'That provider is not on the whitelist (see `medrec provider list`).',
  ProviderSelfRotation:
    "A provider's account moves only by a consortium majority (recoverSteward); a sealing provider is removed " +
    'and added again at its new account, which moves its Clique signer too.',
  SealingMemberNeedsReadmission:
    "A sealing provider's account is its Clique signer: remove it (`medrec provider remove`), recover its " +
    'identity, and add it again with its new key.',
  NotGuardian: 'Only a guardian the patient named may approve its recovery; see `medrec recovery show PATIENT`.',
  AlreadyApproved: 'This guardian already approved moving the patient to that account; the others must approve too.',
  RecoveryPending:
    'A recovery of this patient is already pending (see `medrec recovery show PATIENT`); the patient can cancel it ' +
    'with its current key (`medrec recovery cancel`).',
  NoPendingRecovery:
    'No recovery of this patient is pending: it was never started, the patient cancelled it, or it completed. ' +
    'Guardians start one with `medrec recovery approve`.',
  NotRecoveryAccount: "Only the recovery's new account may complete it, with its own key or signature (--as NEW_KEY).",
  RecoveryNotReady: (args) =>
    `The recovery can complete from ${chainTimeText(args[1])} (chain time); until then the patient can cancel it.`,
  GovernanceRecoveryDisabled: 'This patient opted out of recovery by the consortium.',
  TooManyGuardians: 'Name at most 8 guardians.',
  InvalidThreshold: 'The threshold must be from 1 to the number of guardians (0 only when removing every guardian).',
  InvalidRecoveryDelay: 'The recovery delay must be from 1 day to 90 days.',
  InvalidGuardian: "Each guardian must be a distinct, non-zero address other than the patient's own.",
  ZeroAddress: 'The zero address cannot hold an identity.',
  SignatureExpired: "The signature's deadline passed before it was sent; sign again.",
  WrongSigner: "The signature was not made by the account it names; sign with that account's key.",
  InvalidSignatureLength: 'The signature must be 65 bytes; sign again.',
  InvalidSignatureS: 'The signature is malleable (high s); sign again with a standard signer.',
  InvalidSignatureV: "The signature's v must be 27 or 28; sign again with a standard signer.",
}

function hintForRevert(errorName: string, args: readonly unknown[], sender: Address | undefined): string {
  // Own keys only: a reason string such as "toString" must not find Object's methods.
  const known = Object.hasOwn(revertHints, errorName) ? revertHints[errorName] : undefined
  const hint =
    typeof known === 'function' ? known(args) : (known ?? "See the contract's NatSpec for when this error is raised.")
  return sender ? `${hint} (sent from ${sender})` : hint
}
