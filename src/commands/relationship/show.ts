import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {relationshipArg} from '../../cli/shared-flags.js'
import {showRelationship, type RelationshipInfo} from '../../registrar/read-registrar.js'

export default class RelationshipShow extends MedrecCommand {
  static override args = {relationship: relationshipArg}

  async run(): Promise<RelationshipInfo> {
    const r = await this.serve(RelationshipShow, showRelationship)
    this.log(
      `Relationship ${r.relationship}\nPatient      ${r.patient}\nSteward      ${r.steward}\n` +
        `Status       ${r.status} (round ${r.round}, since ${r.changedAt ?? '-'})\n` +
        `Endpoint     ${r.pointer.endpoint}\nQuery ref    ${r.pointer.queryRef}\nContent hash ${r.pointer.contentHash}`,
    )
    for (const v of r.viewers) this.log(`Viewer       ${v.account} scope ${v.scope} until ${v.expiresAt}`)
    return r
  }
}

describeCommand(RelationshipShow, import.meta.url)
