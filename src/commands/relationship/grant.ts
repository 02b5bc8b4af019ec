import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {RelationshipActionCommand} from '../../cli/relationship-action-command.js'
import {asFlag, parseDuration, parseScope, relationshipArg, scopeFlag} from '../../cli/shared-flags.js'
import {grantViewer} from '../../registrar/relationship-actions.js'

export default class RelationshipGrant extends RelationshipActionCommand {
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

describeCommand(RelationshipGrant, import.meta.url)
