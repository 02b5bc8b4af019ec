import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, gatekeepersCaFlag} from '../../cli/shared-flags.js'
import {syncPatientRecords, type SyncReport} from '../../patient/patient-records.js'

export default class PatientSync extends MedrecCommand {
  static override flags = {
    as: asFlag,
    follow: Flags.integer({summary: 'Seconds to keep following notifications after the first fetch.', min: 1}),
    ca: gatekeepersCaFlag,
  }

  async run(): Promise<SyncReport> {
    const {flags} = await this.parse(PatientSync)
    const abort = new AbortController()
    process.once('SIGINT', () => abort.abort())
    const report = await syncPatientRecords({
      dir: this.networkDir(flags),
      as: flags.as,
      followMs: flags.follow ? flags.follow * 1000 : undefined,
      caFile: flags.ca,
      signal: abort.signal,
      onEvent: (event) => {
        if (this.jsonEnabled()) return
        if (event.type === 'fetched')
          process.stderr.write(
            `${event.relationship} (${event.endpoint}): ${event.status}, ${event.changed} new or updated` +
              `${event.message ? `: ${event.message}` : ''}\n`,
          )
        else if (event.type === 'subscribed')
          process.stderr.write(`${event.relationship}: following ${event.endpoint}\n`)
        else
          process.stderr.write(
            `${event.relationship}: notifications ended (${event.reason})` +
              `${event.message ? `: ${event.message}` : ''}\n`,
          )
      },
    })
    this.log(
      `${report.records} records from ${report.relationships} relationships ` +
        `in ${report.cache}; ${report.changed} new or updated this run.`,
    )
    return report
  }
}

describeCommand(PatientSync, import.meta.url)
