import {MedrecCommand} from '../../base-command.js'
import {asFlag, participantIdentity, participantIdentityFlags} from '../../cli/shared-flags.js'
import {confirmRegistration} from '../../registrar/register-participant.js'

export default class RegistrarConfirm extends MedrecCommand {
  static override summary = 'As a patient, confirm the registration a provider offered you.'
  static override description =
    'Find the offer by the identity the provider gave you (--id), or by your record number there ' +
    '(--local-id, with --provider when several providers offered the same one).'
  static override examples = [
    '<%= config.bin %> registrar confirm --id 0x… --as alice',
    '<%= config.bin %> registrar confirm --local-id MRN-0043 --provider mercy --as bob',
  ]
  static override flags = {...participantIdentityFlags, as: asFlag}

  async run(): Promise<Awaited<ReturnType<typeof confirmRegistration>>> {
    const {flags} = await this.parse(RegistrarConfirm)
    const result = await confirmRegistration({
      dir: this.networkDir(flags),
      ...participantIdentity(flags),
      as: flags.as,
    })
    this.log(`Registered patient ${result.id} (${result.account}).`)
    return result
  }
}
