import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {asFlag, recordsRequest, relationshipArg} from '../../cli/shared-flags.js'
import {describeRecords, typesFlag} from '../../patient/describe-records.js'
import {queryRelationship, type RecordsReport} from '../../patient/patient-records.js'

export default class GatekeeperQuery extends MedrecCommand {
  static override summary =
    "Ask one relationship's gatekeeper for records, as any requester the chain allows (patient, steward or viewer)."
  static override description =
    "Signs the request with --as, sends it to the gatekeeper named in the relationship's pointer, " +
    'and decrypts the answer. A viewer asks for the resource types its grant covers (--types).'
  static override examples = ['<%= config.bin %> gatekeeper query 0x… --as st-anne --types Observation']
  static override args = {relationship: relationshipArg}
  static override flags = {
    as: asFlag,
    types: typesFlag,
    ca: Flags.string({summary: 'PEM CA certificate to trust for a gatekeeper with a private CA.'}),
  }

  async run(): Promise<RecordsReport> {
    const {args, flags} = await this.parse(GatekeeperQuery)
    const report = await queryRelationship({
      dir: this.networkDir(flags),
      relationship: args.relationship,
      ...recordsRequest(flags),
    })
    this.logLines(describeRecords(report))
    return report
  }
}
