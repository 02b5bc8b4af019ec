import {resolve} from 'node:path'

import {Args, Flags} from '@oclif/core'

import {converting, warnsWhenGiven} from '../base-command.js'
import {networkProfiles} from '../config/network-profile.js'
import {allResourcesScope, parseResourceScope} from '../gatekeeper/resource-scope.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseTypes} from '../patient/describe-records.js'
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

/**
 * --id / --local-id / --provider: a participant, where a --local-id may be a patient's record number at a provider.
 * Only flags whose `provider` is this one fit here: it is read as the namespace of a patient's --local-id.
 */
export const participantIdentityFlags = {...identityFlags, provider: patientProviderFlag}

/** The options a service takes for the participant named by {@link participantIdentityFlags}. */
export function participantIdentity(flags: {id?: string; 'local-id'?: string; provider?: string}): {
  id: string | undefined
  localId: string | undefined
  provider: string | undefined
} {
  return {id: flags.id, localId: flags['local-id'], provider: flags.provider}
}

/** {@link participantIdentityFlags}, or --account (`accountSummary` says how it is read) instead. */
export function participantLookupFlags(accountSummary: string) {
  return {...participantIdentityFlags, account: Flags.string({summary: accountSummary, exclusive: ['id', 'local-id']})}
}

/** NAME of a command that brings a new provider into the consortium (`member init`, `provider add`). */
export const newProviderNameArg = Args.string({
  description: "The provider's name in the consortium (2-32 lowercase letters, digits, dashes).",
  required: true,
})

/** --as: which key of this directory signs. */
export const asFlag = Flags.string({summary: 'Name of the key that signs (see `medrec account list`).', required: true})

/** --as of a consortium vote: the sealing provider whose key signs it. */
export const sealingProviderAsFlag = Flags.string({
  summary: 'Your sealing provider, whose key signs the vote.',
  required: true,
})

/** --vote-as: which sealing providers whose keys are here cast the votes on a provider change. */
export const voteAsFlag = Flags.string({
  summary: 'Cast votes only as this sealing provider (repeatable; default: every one whose key is here).',
  multiple: true,
})

/** --timeout of a change to the signer set or the whitelist; `summary` says what is awaited. */
export function membershipTimeoutFlag(summary: string) {
  return Flags.integer({summary, default: 180, min: 1})
}

/** --light-kdf for a command that creates one key. */
export const lightKdfFlag = warnsWhenGiven(
  Flags.boolean({summary: 'Weak, fast key encryption (throwaway chains only).'}),
  '--light-kdf: this key is encrypted with weak scrypt settings; use it only on throwaway chains.',
)

/** --light-kdf for a command that creates a workspace's keys (network init, member init). */
export const workspaceLightKdfFlag = Flags.boolean({
  summary: 'Weak, fast key encryption for throwaway chains (tests, CI).',
})

/** The warning of a command that creates several keys with --light-kdf. */
export const keysLightKdfWarning =
  '--light-kdf: keys are encrypted with weak scrypt settings; use this only for throwaway chains.'

/** --chain-id of a command that makes a new chain's genesis. */
export const chainIdFlag = Flags.integer({summary: 'Chain id (random unused one by default).', min: 1})

/** --period, --epoch and --gas-limit of a command that makes a new chain's genesis. */
export const cliqueGenesisFlags = {
  period: Flags.integer({summary: 'Clique block period in seconds.', default: 5, min: 1}),
  epoch: Flags.integer({summary: 'Blocks between Clique checkpoints.', default: 30_000, min: 1}),
  'gas-limit': Flags.integer({summary: 'Block gas limit.', default: 30_000_000}),
}

/** The options a service takes for a new chain named by {@link chainIdFlag} and {@link cliqueGenesisFlags}. */
export function chainSettings<P extends number | undefined>(flags: {
  'chain-id'?: number
  period: P
  epoch: number
  'gas-limit': number
}): {
  chainId: number | undefined
  period: P
  epoch: number
  gasLimit: number
} {
  return {chainId: flags['chain-id'], period: flags.period, epoch: flags.epoch, gasLimit: flags['gas-limit']}
}

/** The absolute path of a flag's file; an empty path, which would name the working directory, is refused. */
function absolutePath(text: string, flag: string): string {
  if (text.trim() === '') {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} is empty.`, {hint: `Give ${flag} the path of a file.`})
  }
  return resolve(text)
}

/** A flag that names a file: its path, made absolute against the working directory as it is parsed. */
export const pathFlag = Flags.custom<string>({parse: converting(absolutePath), helpValue: '<path>'})

/** --out of a command that exports the consortium bundle. */
export const bundleOutFlag = pathFlag({
  char: 'o',
  summary: 'Also write the bundle to this file, to send to the other members.',
})

/** The same on a command that runs in either kind of workspace and exports a bundle only in a member's. */
export const memberBundleOutFlag = pathFlag({
  char: 'o',
  summary: 'Member workspace: also write the refreshed bundle to this file, to send to the other members.',
})

/** --file and --key-file: an audit log and the key it was MACed with, each the provider's by default. */
export const auditLogFileFlags = {
  file: Flags.string({summary: "The audit log file (default: the provider's)."}),
  'key-file': Flags.string({summary: "The audit key the log was MACed with (default: the provider's)."}),
}

/** The options a service takes for the log of --provider in the files named by {@link auditLogFileFlags}. */
export function auditLogLocation<P extends string | undefined>(flags: {
  provider: P
  file?: string
  'key-file'?: string
}): {
  provider: P
  file: string | undefined
  keyFile: string | undefined
} {
  return {provider: flags.provider, file: flags.file, keyFile: flags['key-file']}
}

/** --sqlite-file: a gatekeeper's record store when it is SQLite. */
export const sqliteFileFlag = Flags.string({
  summary: 'The SQLite file (default .medrec/gatekeeper/PROVIDER/records.sqlite).',
})

/** --ca of a patient's commands, which talk to every gatekeeper the patient has a relationship with. */
export const gatekeepersCaFlag = Flags.string({
  summary: 'PEM CA certificate to trust for gatekeepers with a private CA.',
})

/** How --as asks gatekeepers for records: the options of --types and --ca, as a records service takes them. */
export function recordsRequest(flags: {as: string; types?: string; ca?: string}) {
  return {as: flags.as, resourceTypes: parseTypes(flags.types), caFile: flags.ca}
}

/** The relationship argument of every relationship command. */
export const relationshipArg = Args.string({description: 'Address of the relationship.', required: true})

/** --scope: FHIR resource types, `all` (the default) or a bitmask, as the scope's bits; `summary` says whose access. */
export function scopeFlag(summary: string) {
  return Flags.custom<bigint>({parse: converting(parseResourceScope)})({
    summary,
    default: allResourcesScope,
    defaultHelp: async () => 'all',
  })
}

const durationUnits: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400}

/** "90s", "15m", "12h", "30d" → seconds; `flag` names the flag in the message. */
function parseDurationSeconds(text: string, flag: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim())
  if (!match) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} "${text}" is not a duration.`, {
      hint: 'Write a number and a unit: 90s, 15m, 12h or 30d.',
    })
  }
  return Number(match[1]) * durationUnits[match[2]!]!
}

/** A flag that takes a duration (90s, 15m, 12h, 30d) and gives its seconds. */
export const durationFlag = Flags.custom<number>({parse: converting(parseDurationSeconds), helpValue: '<duration>'})

/** "90s", "15m", "12h", "30d" → seconds, within the grant limits. */
function grantDurationSeconds(text: string, flag: string): number {
  const seconds = parseDurationSeconds(text, flag)
  if (seconds < grantDurationLimits.minSeconds || seconds > grantDurationLimits.maxSeconds) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} ${text} is outside 1 minute to 10 years.`, {
      hint: 'Grant for as long as the viewer needs; grant again to extend.',
    })
  }
  return seconds
}

/** --expires-in of a grant, in seconds: 30 days unless given. */
export const grantExpiresInFlag = Flags.custom<number>({parse: converting(grantDurationSeconds)})({
  summary: 'How long the grant lasts: 90s, 15m, 12h, 30d.',
  default: 30 * durationUnits.d!,
  defaultHelp: async () => '30d',
  helpValue: '<duration>',
})

/** --follow and --tail of a command that prints its nodes' logs (network logs, member logs). */
export const nodeLogsFlags = {
  follow: Flags.boolean({char: 'f', summary: 'Keep printing new lines.'}),
  tail: Flags.integer({char: 'n', summary: 'Only the last N lines of each node.', min: 0}),
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
