import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag} from '../../cli/shared-flags.js'
import {proposeRelationship, type ProposeResult} from '../../registrar/relationship-actions.js'

export default class RelationshipPropose extends MedrecCommand {
  static override flags = {
    patient: Flags.string({summary: "The patient's identity (0x…).", exclusive: ['patient-local-id']}),
    'patient-local-id': Flags.string({
      summary: "The patient's record number at your provider (--as), turned into its identity in your namespace.",
    }),
    endpoint: Flags.string({summary: "Your gatekeeper's base URL.", required: true}),
    'query-ref': Flags.string({
      summary: 'Opaque 32-byte query reference your gatekeeper understands (random if omitted).',
    }),
    'content-hash': Flags.string({summary: '32-byte hash of the records, for integrity checks.'}),
    as: asFlag,
  }

  async run(): Promise<ProposeResult> {
    const result = await this.serve(RelationshipPropose, proposeRelationship)
    this.log(`Proposed relationship ${result.relationship} to patient ${result.patient}.`)
    return result
  }
}

describeCommand(RelationshipPropose, import.meta.url)
