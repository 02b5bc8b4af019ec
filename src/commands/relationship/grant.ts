import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, grantExpiresInFlag, relationshipArg, scopeFlag} from '../../cli/shared-flags.js'
import {grantViewer} from '../../registrar/relationship-actions.js'

export default class RelationshipGrant extends MedrecCommand {
  static override args = {relationship: relationshipArg}
  static override flags = {
    viewer: Flags.string({summary: 'Who may view: a key name or a 0x address.', required: true}),
    scope: scopeFlag('What they may view: all, FHIR resource types (Observation,Condition), or a bitmask.'),
    'expires-in': grantExpiresInFlag,
    as: asFlag,
  }

  async run(): Promise<Awaited<ReturnType<typeof grantViewer>>> {
    const result = await this.serve(RelationshipGrant, grantViewer, {'expires-in': 'expiresInSeconds'})
    this.log(`Granted ${result.viewer} scope ${result.scope} on ${result.relationship} until ${result.expiresAt}.`)
    return result
  }
}

describeCommand(RelationshipGrant, import.meta.url)
