import {RelationshipStatusCommand} from '../../cli/relationship-status-command.js'

export default class RelationshipEnd extends RelationshipStatusCommand {
  static override summary = 'As the patient, end an accepted relationship (its history is kept).'
  static override examples = ['<%= config.bin %> relationship end 0x… --as alice']
  // Own, not inherited: oclif's parse spreads the class, which copies own statics only.
  static override args = RelationshipStatusCommand.args
  protected readonly action = 'end'
}
