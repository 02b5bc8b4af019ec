import {MedrecCommand} from '../../base-command.js'
import {asFlag, gatekeepersCaFlag, recordsRequest} from '../../cli/shared-flags.js'
import {patientRecords, type RecordsReport} from '../../patient/patient-records.js'
import {describeRecords, typesFlag} from '../../patient/describe-records.js'

export default class PatientRecords extends MedrecCommand {
  static override summary =
    'Fetch your records from the gatekeeper of every provider you have an accepted relationship with.'
  static override description = [
    'Each request is signed with your key (--as) and bound to that gatekeeper, the chain and a one-time nonce; each',
    'answer is encrypted to your key and decrypted here. Each gatekeeper gets its own status beside the others: down',
    'or refusing; refused by this client before connecting (plain http to another machine: gatekeepers must use https',
    'off loopback); an answer over 32 MiB; an answer that cannot be decrypted or read; or records that do not hash to',
    "the content hash the relationship's pointer commits to on chain (see src/gatekeeper/records-content-hash.ts).",
  ].join(' ')
  static override examples = [
    '<%= config.bin %> patient records --as alice',
    '<%= config.bin %> patient records --as alice --types Observation,Condition --json',
  ]
  static override flags = {
    as: asFlag,
    types: typesFlag,
    ca: gatekeepersCaFlag,
  }

  async run(): Promise<RecordsReport> {
    const {flags} = await this.parse(PatientRecords)
    const report = await patientRecords({dir: this.networkDir(flags), ...recordsRequest(flags)})
    this.logLines(describeRecords(report))
    return report
  }
}
