import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {asFlag, gatekeepersCaFlag} from '../../cli/shared-flags.js'
import {syncPatientRecords, type SyncReport} from '../../patient/patient-records.js'

export default class PatientSync extends MedrecCommand {
  static override summary = "Keep a local copy of your records, updated from the gatekeepers' change notifications."
  static override description =
    "Fetches your records from every accepted relationship's gatekeeper into " +
    '.medrec/patients/NAME/records.sqlite. With --follow it then subscribes to each ' +
    "gatekeeper's notifications (a signed request, then a server-sent event stream) and " +
    'fetches what changed, until the time is up or Ctrl-C. Updates never touch the chain.'
  static override examples = [
    '<%= config.bin %> patient sync --as alice',
    '<%= config.bin %> patient sync --as alice --follow 3600',
  ]
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
