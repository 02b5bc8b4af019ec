import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {asFlag, relationshipArg} from '../../cli/shared-flags.js'
import {errorCodes} from '../../errors/error-codes.js'
import {MedrecError} from '../../errors/medrec-error.js'
import {grantViewer} from '../../registrar/relationship-actions.js'

const durationUnits: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400}

/** "90s", "15m", "12h", "30d" → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim())
  if (!match) throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--expires-in "${text}" is not a duration.`, {hint: 'Write a number and a unit: 90s, 15m, 12h or 30d.'})
  return Number(match[1]) * durationUnits[match[2]!]!
}

export default class RelationshipGrant extends MedrecCommand {
  static override summary = 'As the patient, let someone else view this relationship\'s records, for a scope and a time.'
  static override examples = ['<%= config.bin %> relationship grant 0x… --viewer st-anne --scope 1 --expires-in 30d --as alice']
  static override args = {relationship: relationshipArg}
  static override flags = {
    viewer: Flags.string({summary: 'Who may view: a key name or a 0x address.', required: true}),
    scope: Flags.string({summary: 'What they may view: a bitmask (1 = all records, per the gatekeeper\'s scopes).', default: '1'}),
    'expires-in': Flags.string({summary: 'How long the grant lasts: 90s, 15m, 12h, 30d.', default: '30d'}),
    as: asFlag,
  }

  async run(): Promise<Awaited<ReturnType<typeof grantViewer>>> {
    const {args, flags} = await this.parse(RelationshipGrant)
    let scope: bigint
    try {
      scope = BigInt(flags.scope)
    } catch {
      throw new MedrecError(errorCodes.INVALID_ARGUMENT, `--scope "${flags.scope}" is not a whole number.`)
    }
    const result = await grantViewer({dir: this.networkDir(flags), relationship: args.relationship, as: flags.as, viewer: flags.viewer, scope, expiresInSeconds: parseDuration(flags['expires-in'])})
    this.log(`Granted ${result.viewer} scope ${result.scope} on ${result.relationship} until ${result.expiresAt}.`)
    return result
  }
}
