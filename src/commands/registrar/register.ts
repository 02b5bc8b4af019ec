import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {asFlag, identity, identityFlags} from '../../cli/shared-flags.js'
import {participantKinds, type ParticipantKindName} from '../../registrar/participant-kinds.js'
import {registerParticipant, type RegisterParticipantResult} from '../../registrar/register-participant.js'

export default class RegistrarRegister extends MedrecCommand {
  static override args = {
    kind: Args.string({
      description: 'Kind of participant.',
      required: true,
      options: participantKinds.filter((k) => k !== 'none'),
    }),
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
    const {args, flags} = await this.parse(RegistrarRegister)
    const result = await registerParticipant({
      dir: this.networkDir(flags),
      kind: args.kind as ParticipantKindName,
      ...identity(flags),
      enrolmentRef: flags['enrolment-ref'],
      account: flags.account,
      as: flags.as,
      consent: flags.consent,
    })
    this.log(
      `${result.outcome === 'registered' ? 'Registered' : 'Offered registration to'} ` +
        `${result.kind} ${result.id} (${result.account}).`,
    )
    if (result.nextStep) this.log(result.nextStep)
    return result
  }
}

describeCommand(RegistrarRegister, import.meta.url)
