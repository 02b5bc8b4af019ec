import {MedrecCommand} from '../base-command.js'
import {setRelationshipStatus, type RelationshipActionResult} from '../registrar/relationship-actions.js'
import {asFlag, relationshipArg} from './shared-flags.js'

/** accept, reject and end differ only in the action: one command class serves all three. */
export abstract class RelationshipStatusCommand extends MedrecCommand {
  // A subclass declares it again as its own: oclif's parse spreads the class, which copies own statics only.
  static override args = {relationship: relationshipArg}
  static override flags = {as: asFlag}
  protected abstract readonly action: 'accept' | 'reject' | 'end'

  async run(): Promise<RelationshipActionResult> {
    const {args, flags} = await this.parse(this.constructor as typeof RelationshipStatusCommand)
    const result = await setRelationshipStatus({
      dir: this.networkDir(flags),
      relationship: args.relationship,
      as: flags.as,
      action: this.action,
    })
    const done = {accept: 'Accepted', reject: 'Rejected', end: 'Ended'}[this.action]
    this.log(`${done} ${result.relationship} (transaction ${result.transactions[0]}).`)
    return result
  }
}
