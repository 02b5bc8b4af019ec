import {RelationshipStatusCommand} from '../../cli/relationship-status-command.js'

export default class RelationshipAccept extends RelationshipStatusCommand {
  static override summary = 'As the patient, accept a proposed relationship.'
  static override examples = ['<%= config.bin %> relationship accept 0x… --as alice']
  // Own, not inherited: oclif's parse spreads the class, which copies own statics only.
  static override args = RelationshipStatusCommand.args
  protected readonly action = 'accept'
}
