import {Flags} from '@oclif/core'

import {RelationshipActionCommand} from '../../cli/relationship-action-command.js'
import {asFlag, parseDuration, parseScope, relationshipArg, scopeFlag} from '../../cli/shared-flags.js'
import {grantViewer} from '../../registrar/relationship-actions.js'

export default class RelationshipGrant extends RelationshipActionCommand {
  static override summary = "As the patient, let someone else view this relationship's records, for a scope and a time."
  static override examples = [
    '<%= config.bin %> relationship grant 0x… --viewer st-anne --scope 1 --expires-in 30d --as alice',
  ]
  static override args = {relationship: relationshipArg}
  static override flags = {
    viewer: Flags.string({summary: 'Who may view: a key name or a 0x address.', required: true}),
    scope: scopeFlag('What they may view: all, FHIR resource types (Observation,Condition), or a bitmask.'),
    'expires-in': Flags.string({summary: 'How long the grant lasts: 90s, 15m, 12h, 30d.', default: '30d'}),
    as: asFlag,
  }

  async run(): Promise<Awaited<ReturnType<typeof grantViewer>>> {
    const {args, flags} = await this.parse(RelationshipGrant)
    const scope = parseScope(flags.scope)
    const result = await grantViewer({
      ...this.relationshipAction(args, flags),
      viewer: flags.viewer,
      scope,
      expiresInSeconds: parseDuration(flags['expires-in']),
    })
    this.log(`Granted ${result.viewer} scope ${result.scope} on ${result.relationship} until ${result.expiresAt}.`)
    return result
  }
}
