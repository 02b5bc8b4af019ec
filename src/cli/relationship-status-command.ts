import {setRelationshipStatus, type RelationshipActionResult} from '../registrar/relationship-actions.js'
import {RelationshipActionCommand} from './relationship-action-command.js'
import {asFlag} from './shared-flags.js'

/** accept, reject and end differ only in the action: one command class serves all three. */
export abstract class RelationshipStatusCommand extends RelationshipActionCommand {
  static override flags = {as: asFlag}
  protected abstract readonly action: 'accept' | 'reject' | 'end'

  async run(): Promise<RelationshipActionResult> {
    const {args, flags} = await this.parse(this.constructor as typeof RelationshipStatusCommand)
    const result = await setRelationshipStatus({...this.relationshipAction(args, flags), action: this.action})
    const done = {accept: 'Accepted', reject: 'Rejected', end: 'Ended'}[this.action]
    this.log(`${done} ${result.relationship} (transaction ${result.transactions[0]}).`)
    return result
  }
}
