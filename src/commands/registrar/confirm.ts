import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, participantIdentityFlags} from '../../cli/shared-flags.js'
import {confirmRegistration} from '../../registrar/register-participant.js'

export default class RegistrarConfirm extends MedrecCommand {
  static override flags = {...participantIdentityFlags, as: asFlag}

  async run(): Promise<Awaited<ReturnType<typeof confirmRegistration>>> {
    const result = await this.serve(RegistrarConfirm, confirmRegistration)
    this.log(`Registered patient ${result.id} (${result.account}).`)
    return result
  }
}

describeCommand(RegistrarConfirm, import.meta.url)
