import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {relationshipArg, scopeFlag} from '../../cli/shared-flags.js'
import {canAccess} from '../../registrar/read-registrar.js'

export default class RelationshipCanAccess extends MedrecCommand {
  static override args = {relationship: relationshipArg}
  static override flags = {
    requester: Flags.string({summary: 'Who asks: a key name or a 0x address.', required: true}),
    scope: scopeFlag('What is asked for: all, FHIR resource types (Observation,Condition), or a bitmask.'),
  }

  async run(): Promise<Awaited<ReturnType<typeof canAccess>>> {
    const result = await this.serve(RelationshipCanAccess, canAccess)
    this.log(result.allowed ? 'allowed' : 'denied')
    return result
  }
}

describeCommand(RelationshipCanAccess, import.meta.url)
