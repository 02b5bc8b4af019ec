import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {participantLookupFlags} from '../../cli/shared-flags.js'
import {listRelationships} from '../../registrar/read-registrar.js'

export default class RegistrarRelationships extends MedrecCommand {
  static override flags = {
    ...participantLookupFlags("The participant's account (key name or 0x address)."),
    offset: Flags.integer({summary: 'First entry to show.', default: 0, min: 0}),
    limit: Flags.integer({summary: 'Entries per page.', default: 50, min: 1, max: 200}),
  }

  async run(): Promise<Awaited<ReturnType<typeof listRelationships>>> {
    const result = await this.serve(RegistrarRelationships, listRelationships)
    this.log(`${result.participant.kind} ${result.participant.id}: ${result.total} relationship(s)`)
    for (const r of result.relationships)
      this.log(`  ${r.relationship}  ${r.status.padEnd(8)} round ${r.round}  since ${r.changedAt ?? '-'}`)
    if (result.offset + result.relationships.length < result.total)
      this.log(`  … more with --offset ${result.offset + result.relationships.length}`)
    return result
  }
}

describeCommand(RegistrarRelationships, import.meta.url)
