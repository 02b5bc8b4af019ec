import {getAddress, zeroHash, type Address, type Hex} from 'viem'

import {checkAccountReference} from '../accounts/account-reference.js'
import {resolveAccount} from '../accounts/accounts.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {kindName} from '../registrar/participant-kinds.js'
import {openConsortium} from './consortium-contracts.js'
import {parseStewardReference} from './consortium-inputs.js'
import {providerNames, requireVoter, voteOnce, type ConsortiumVoteOutcome} from './consortium-votes.js'

export type RecoverStewardParameters = {
  dir: string
  /** A provider's name, or the 0x identity of any provider or other steward. */
  steward: string
  /** The new account: a 0x address or a key of this directory. */
  to: string
  /** The sealing provider (whose key is here) that votes. */
  as: string
}

export type RecoverStewardReturnType = ConsortiumVoteOutcome & {
  proposal: 'recover-steward'
  voter: string
  steward: {name: string | null; id: Hex; kind: string}
  /** Its account when the vote was cast (the lost or compromised key). */
  from: Address
  to: Address
}

/**
 * One sealing provider (`as`) votes to move a provider or other steward whose key was lost
 * or compromised to a new account (Consortium.voteRecoverSteward); a majority executes it.
 * A sealing member is refused by the contract, since its account is also its Clique
 * signer: it is removed, recovered, then admitted again, which moves both.
 */
export async function recoverSteward(options: RecoverStewardParameters): Promise<RecoverStewardReturnType> {
  const steward = parseStewardReference(options.steward)
  checkAccountReference(options.to, '--to')
  const context = await openConsortium(options.dir)
  const {registrar} = context.contracts
  const to = await resolveAccount(context.network.paths, options.to, '--to')
  const voter = await requireVoter(context, options.as)
  const label = steward.name ?? (await providerNames(context)).get(steward.id) ?? steward.id

  const participant = await registrar.read.participant([steward.id])
  const kind = kindName(participant.kind)
  if (kind === 'none') {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `No provider or steward ${label} is registered.`, {
      hint: 'See `medrec provider list`; a lab or other steward is named by its 0x identity (`medrec registrar show`).',
    })
  }
  if (kind === 'patient') {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${label} is a patient: stewards only here.`, {
      hint: "A patient's key moves by its own recovery, or by `medrec consortium recover-patient`, which it can veto.",
    })
  }
  const from = getAddress(participant.account)
  const inEffect = async () => getAddress((await registrar.read.participant([steward.id])).account) === to
  if (from !== to && (await registrar.read.identityOf([to])) !== zeroHash) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${to} is already the account of another participant.`, {
      hint: 'Recover to a fresh key: `medrec account create NAME`, then --to NAME.',
    })
  }

  const outcome = await voteOnce(context, {
    voter,
    proposal: {action: 'recover-steward', subject: steward.id, account: to},
    inEffect,
    inEffectWithoutVote: `${label} is at ${to} already: there is nothing to recover.`,
    action: `recover ${label} to ${to}`,
    vote: (writer) => writer.write.voteRecoverSteward([steward.id, to]),
    onRevert: (errorName, cause) =>
      errorName === 'SealingMemberNeedsReadmission'
        ? new MedrecError(
            errorCodes.SEALING_MEMBER_NEEDS_READMISSION,
            `${label} is a sealing provider: its account is also ` +
              `its Clique signer, so it cannot be recovered in place.`,
            {
              hint:
                `Remove it (\`medrec provider remove ${label}\`), recover it with this command, then admit it again ` +
                `with its new key in .medrec/keys/${label} (\`medrec provider add ${label} --sealer\`), ` +
                'which moves its Clique signer too.',
              cause,
            },
          )
        : undefined,
  })
  return {
    proposal: 'recover-steward',
    voter: voter.name,
    steward: {name: steward.name ?? (label === steward.id ? null : label), id: steward.id, kind},
    from,
    to,
    ...outcome,
  }
}
