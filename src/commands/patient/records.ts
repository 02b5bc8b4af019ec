import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, gatekeepersCaFlag, recordsRequest} from '../../cli/shared-flags.js'
import {patientRecords, type RecordsReport} from '../../patient/patient-records.js'
import {describeRecords, typesFlag} from '../../patient/describe-records.js'

export default class PatientRecords extends MedrecCommand {
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

describeCommand(PatientRecords, import.meta.url)
