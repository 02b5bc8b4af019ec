import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {identityFlags, sqliteFileFlag} from '../../cli/shared-flags.js'
import {importRecords, type ImportRecordsResult} from '../../gatekeeper/import-records.js'

export default class GatekeeperImport extends MedrecCommand {
  static override args = {file: Args.string({description: 'The FHIR JSON file.', required: true})}
  static override flags = {
    ...identityFlags,
    provider: Flags.string({summary: 'The provider whose store receives the records.', required: true}),
    store: Flags.option({
      summary: 'Where the records are (postgres reads MEDREC_POSTGRES_URL).',
      options: ['sqlite', 'postgres'] as const,
      default: 'sqlite',
    })(),
    'sqlite-file': sqliteFileFlag,
  }

  async run(): Promise<ImportRecordsResult> {
    const result = await this.serve(GatekeeperImport, importRecords)
    this.log(
      `${result.resources} resources for patient ${result.patient}: ${result.changed} ` +
        `new or changed, ${result.unchanged} unchanged (${result.store} store).`,
    )
    return result
  }
}

describeCommand(GatekeeperImport, import.meta.url)
