import {MedrecCommand} from '../base-command.js'
import {relationshipArg} from './shared-flags.js'

/** accept, reject, end, grant and revoke: a patient's or steward's action on one relationship, signed with --as. */
export abstract class RelationshipActionCommand extends MedrecCommand {
  // A subclass declares it again as its own: oclif's parse spreads the class, which copies own statics only.
  static override args = {relationship: relationshipArg}

  /** What every relationship action takes: the network, the relationship, and the key that acts on it. */
  protected relationshipAction(
    args: {relationship: string},
    flags: {dir: string; as: string},
  ): {dir: string; relationship: string; as: string} {
    return {dir: this.networkDir(flags), relationship: args.relationship, as: flags.as}
  }
}
