import {Flags} from '@oclif/core'

import {describeCommand} from '../../cli/command-help.js'
import {RelationshipActionCommand} from '../../cli/relationship-action-command.js'
import {asFlag, relationshipArg} from '../../cli/shared-flags.js'
import {revokeViewer} from '../../registrar/relationship-actions.js'

export default class RelationshipRevoke extends RelationshipActionCommand {
  static override args = {relationship: relationshipArg}
  static override flags = {
    viewer: Flags.string({summary: 'The viewer: a key name or a 0x address.', required: true}),
    as: asFlag,
  }

  async run(): Promise<Awaited<ReturnType<typeof revokeViewer>>> {
    const {args, flags} = await this.parse(RelationshipRevoke)
    const result = await revokeViewer({...this.relationshipAction(args, flags), viewer: flags.viewer})
    this.log(`Revoked ${result.viewer} on ${result.relationship}.`)
    return result
  }
}

describeCommand(RelationshipRevoke, import.meta.url)
