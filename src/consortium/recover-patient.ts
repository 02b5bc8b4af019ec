import {getAddress, zeroAddress, zeroHash, type Address, type Hex} from 'viem'

import {checkAccountReference} from '../accounts/account-reference.js'
import {resolveAccount} from '../accounts/accounts.js'
import {resolveIdentity, resolvePatientIdentity} from '../contracts/identity-reference.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {isoFromChainSeconds, kindName} from '../registrar/participant-kinds.js'
import {resolveProviderReference} from '../registrar/provider-reference.js'
import {openConsortium} from './consortium-contracts.js'
import {requireVoter, voteOnce, type ConsortiumVoteOutcome} from './consortium-votes.js'

export type RecoverPatientParameters = {
  dir: string
  /** The patient: its 0x identity, or its local id at the provider that enrolled it. */
  patient: {id?: string; localId?: string; provider?: string}
  /** The patient's new account: a 0x address or a key of this directory. */
  to: string
  /** The sealing provider (whose key is here) that votes. */
  as: string
}

export type RecoverPatientReturnType = ConsortiumVoteOutcome & {
  proposal: 'recover-patient'
  voter: string
  /** The patient, and its current account: the key that can still cancel the recovery. */
  patient: {id: Hex; account: Address}
  to: Address
  recovery: {
    /** Seconds from the deciding vote to the earliest completion: the longer of the Registrar's
     * governance delay and the patient's own guardian delay. */
    delaySeconds: number
    /** The earliest completion, once the recovery has started (null while votes are awaited). */
    readyAt: string | null
    /** Who can cancel it until it completes: the patient's current account. */
    cancellableBy: Address
  }
}

/**
 * One sealing provider (`as`) votes to start recovering a patient who lost its key to a new
 * account (Consortium.voteRecoverPatient). A majority starts a time-locked recovery: the new
 * key may complete it only after the delay, and the patient's current key can cancel it
 * until then (or have refused such recoveries in advance).
 */
export async function recoverPatient(options: RecoverPatientParameters): Promise<RecoverPatientReturnType> {
  const {id: idText, localId, provider} = options.patient
  if (localId !== undefined && provider === undefined) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, "A patient's --local-id names it only at its provider.", {
      hint: 'Add --provider NAME (the provider that enrolled it), or give its identity with --id.',
    })
  }
  if (idText !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(idText)) {
    const message = `--id "${idText}" is not 32 bytes of hex (0x and 64 hex digits).`
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, message, {
      hint: 'Use the identity `medrec registrar show` prints.',
    })
  }
  checkAccountReference(options.to, '--to')
  const context = await openConsortium(options.dir)
  const {registrar} = context.contracts
  const paths = context.network.paths
  const to = await resolveAccount(paths, options.to, '--to')
  const voter = await requireVoter(context, options.as)
  const id =
    provider === undefined
      ? await resolveIdentity(paths, {id: idText})
      : await resolvePatientIdentity(paths, {id: idText, localId}, await resolveProviderReference(context, provider))

  const participant = await registrar.read.participant([id])
  const kind = kindName(participant.kind)
  if (kind !== 'patient') {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      kind === 'none' ? `No patient has identity ${id}.` : `${id} is a ${kind}, not a patient.`,
      {
        hint:
          kind === 'none'
            ? 'Check the identity (`medrec registrar show`); a --local-id needs the --provider that enrolled it.'
            : 'A provider or other steward is recovered with `medrec consortium recover-steward`.',
      },
    )
  }
  const account = getAddress(participant.account)
  const [[, , guardianDelay, governanceAllowed], governanceDelay] = await Promise.all([
    registrar.read.recoverySetup([id]),
    registrar.read.GOVERNANCE_RECOVERY_DELAY(),
  ])
  const delaySeconds = Math.max(guardianDelay, governanceDelay)
  const pending = await registrar.read.pendingRecovery([id])
  const pendingAccount = getAddress(pending.newAccount)
  const ours = pendingAccount === to && pending.byGovernance
  const inEffect = async () => {
    const [now, current] = await Promise.all([registrar.read.pendingRecovery([id]), registrar.read.participant([id])])
    return (getAddress(now.newAccount) === to && now.byGovernance) || getAddress(current.account) === to
  }
  if (!ours && account !== to) {
    if (!governanceAllowed) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `Patient ${id} has refused recovery by the consortium.`, {
        hint: 'Only the guardians it named can recover it.',
      })
    }
    if (pendingAccount !== zeroAddress && (await registrar.read.identityOf([pendingAccount])) === zeroHash) {
      const ready = isoFromChainSeconds(pending.readyAt)
      const by = pending.byGovernance ? 'the consortium' : 'its guardians'
      throw new MedrecError(
        errorCodes.RECOVERY_ALREADY_PENDING,
        `A recovery of patient ${id} to ${pendingAccount}, started by ${by}, is already pending (ready ${ready}).`,
        {hint: "Only one recovery is pending at a time; the patient's current key can cancel it."},
      )
    }
    if ((await registrar.read.identityOf([to])) !== zeroHash) {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${to} is already the account of a participant.`, {
        hint: 'Recover to a fresh key that the patient holds.',
      })
    }
  }

  const outcome = await voteOnce(context, {
    voter,
    proposal: {action: 'recover-patient', subject: id, account: to},
    inEffect,
    inEffectWithoutVote: `Patient ${id} is at ${to} already, or its guardians are recovering it there.`,
    action: `start recovering patient ${id} to ${to}`,
    vote: (writer) => writer.write.voteRecoverPatient([id, to]),
  })
  const after = await registrar.read.pendingRecovery([id])
  const started = outcome.status === 'executed' && getAddress(after.newAccount) === to
  return {
    proposal: 'recover-patient',
    voter: voter.name,
    patient: {id, account},
    to,
    recovery: {
      delaySeconds,
      readyAt: started ? isoFromChainSeconds(after.readyAt) : null,
      cancellableBy: account,
    },
    ...outcome,
  }
}
