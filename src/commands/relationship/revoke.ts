import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, relationshipArg} from '../../cli/shared-flags.js'
import {revokeViewer} from '../../registrar/relationship-actions.js'

export default class RelationshipRevoke extends MedrecCommand {
  static override args = {relationship: relationshipArg}
  static override flags = {
    viewer: Flags.string({summary: 'The viewer: a key name or a 0x address.', required: true}),
    as: asFlag,
  }

  async run(): Promise<Awaited<ReturnType<typeof revokeViewer>>> {
    const result = await this.serve(RelationshipRevoke, revokeViewer)
    this.log(`Revoked ${result.viewer} on ${result.relationship}.`)
    return result
  }
}

describeCommand(RelationshipRevoke, import.meta.url)
