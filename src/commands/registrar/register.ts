import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, identityFlags} from '../../cli/shared-flags.js'
import {participantKindNames} from '../../registrar/participant-kinds.js'
import {registerParticipant, type RegisterParticipantResult} from '../../registrar/register-participant.js'

export default class RegistrarRegister extends MedrecCommand {
  static override args = {
    kind: Args.option({description: 'Kind of participant.', options: participantKindNames})({required: true}),
  }
  static override flags = {
    ...identityFlags,
    'enrolment-ref': Flags.string({
      summary: "A patient's opaque 32-byte enrolment reference at the registering provider (instead of --local-id).",
      exclusive: ['id', 'local-id'],
    }),
    account: Flags.string({summary: "The participant's account: a key name or a 0x address.", required: true}),
    as: asFlag,
    consent: Flags.boolean({
      summary: 'Registering a patient whose key is in this directory: the patient signs its consent now (EIP-712).',
    }),
  }

  async run(): Promise<RegisterParticipantResult> {
    const result = await this.serve(RegistrarRegister, registerParticipant)
    this.log(
      `${result.outcome === 'registered' ? 'Registered' : 'Offered registration to'} ` +
        `${result.kind} ${result.id} (${result.account}).`,
    )
    if (result.nextStep) this.log(result.nextStep)
    return result
  }
}

describeCommand(RegistrarRegister, import.meta.url)
