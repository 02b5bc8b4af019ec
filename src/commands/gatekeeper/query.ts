import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, recordsRequest, relationshipArg} from '../../cli/shared-flags.js'
import {describeRecords, typesFlag} from '../../patient/describe-records.js'
import {queryRelationship, type RecordsReport} from '../../patient/patient-records.js'

export default class GatekeeperQuery extends MedrecCommand {
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

describeCommand(GatekeeperQuery, import.meta.url)
