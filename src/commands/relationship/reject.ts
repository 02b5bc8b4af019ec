import {RelationshipStatusCommand} from '../../cli/relationship-status-command.js'

export default class RelationshipReject extends RelationshipStatusCommand {
  static override summary = 'As the patient, reject a proposed relationship.'
  static override examples = ['<%= config.bin %> relationship reject 0x… --as alice']
  // Own, not inherited: oclif's parse spreads the class, which copies own statics only.
  static override args = RelationshipStatusCommand.args
  protected readonly action = 'reject'
}
