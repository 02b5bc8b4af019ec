import {describeCommand} from '../../cli/command-help.js'
import {RelationshipStatusCommand} from '../../cli/relationship-status-command.js'

export default class RelationshipEnd extends RelationshipStatusCommand {
  // Own, not inherited: oclif's parse spreads the class, which copies own statics only.
  static override args = RelationshipStatusCommand.args
  protected readonly action = 'end'
}

describeCommand(RelationshipEnd, import.meta.url)
