import {MedrecCommand} from '../../base-command.js'
import {asFlag, identityFlags} from '../../cli/shared-flags.js'
import {confirmRegistration} from '../../registrar/register-participant.js'

export default class RegistrarConfirm extends MedrecCommand {
  static override summary = 'As a patient, confirm the registration a provider offered you.'
  static override examples = ['<%= config.bin %> registrar confirm --id 0x… --as alice']
  static override flags = {...identityFlags, as: asFlag}

  async run(): Promise<Awaited<ReturnType<typeof confirmRegistration>>> {
    const {flags} = await this.parse(RegistrarConfirm)
    const result = await confirmRegistration({dir: this.networkDir(flags), id: flags.id, localId: flags['local-id'], as: flags.as})
    this.log(`Registered patient ${result.id} (${result.account}).`)
    return result
  }
}
