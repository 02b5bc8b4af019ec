import {parseResourceScope} from '../gatekeeper/resource-scope.js'
import {Args, Flags} from '@oclif/core'

import {networkProfiles} from '../config/network-profile.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {grantDurationLimits} from '../registrar/relationship-actions.js'

/** --id / --local-id: a participant's identity, or the local identifier it is derived from. */
export const identityFlags = {
  id: Flags.string({summary: "The participant's 32-byte identity (0x…).", exclusive: ['local-id']}),
  'local-id': Flags.string({
    summary:
      "A local identifier (e.g. a record number), turned into the identity with the consortium's HMAC key; " +
      "a patient's within its provider's namespace.",
  }),
}

/** --provider: whose patient a --local-id is (patient identities are namespaced by the enrolling provider). */
export const patientProviderFlag = Flags.string({
  summary: "The provider where --local-id is the patient's record: a key name in this directory or its 0x identity.",
  dependsOn: ['local-id'],
})

/** --as: which key of this directory signs. */
export const asFlag = Flags.string({summary: 'Name of the key that signs (see `medrec account list`).', required: true})

/** The relationship argument of every relationship command. */
export const relationshipArg = Args.string({description: 'Address of the relationship.', required: true})

/** The value of a --scope flag: `all`, resource types such as `Observation,Condition`, or a bitmask. */
export function parseScope(text: string): bigint {
  return parseResourceScope(text)
}

const durationUnits: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400}

/** "90s", "15m", "12h", "30d" → seconds; `flag` names the flag in the message. */
export function parseDurationSeconds(text: string, flag: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim())
  if (!match) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${text}" is not a duration.`, {
      hint: 'Write a number and a unit: 90s, 15m, 12h or 30d.',
    })
  }
  return Number(match[1]) * durationUnits[match[2]!]!
}

/** "90s", "15m", "12h", "30d" → seconds, within the grant limits. */
export function parseDuration(text: string): number {
  const seconds = parseDurationSeconds(text, '--expires-in')
  if (seconds < grantDurationLimits.minSeconds || seconds > grantDurationLimits.maxSeconds) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--expires-in ${text} is outside 1 minute to 10 years.`, {
      hint: 'Grant for as long as the viewer needs; grant again to extend.',
    })
  }
  return seconds
}

/** The PATIENT argument of the recovery commands. */
export const recoveryPatientArg = Args.string({
  description: 'The patient: its 32-byte identity (0x…), or its current account (a key name or a 0x address).',
  required: true,
})

/** --profile of `network init` and of a network `up` creates. */
export const profileFlag = Flags.option({
  summary:
    'standard, or throwaway for tests and CI: period 1 s, light keys, chain data in memory, no restarts, ' +
    'labelled for `network destroy --all-throwaway`.',
  options: networkProfiles,
})()

/** Said whenever a throwaway network is created: what it gives up. */
export const throwawayWarning =
  '--profile throwaway: keys are encrypted with weak scrypt settings and the chain lives in memory (stopping the ' +
  'network loses it); use it only for tests and CI.'
