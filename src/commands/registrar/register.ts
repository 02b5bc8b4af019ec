import {Args, Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {asFlag, identity, identityFlags} from '../../cli/shared-flags.js'
import {participantKinds, type ParticipantKindName} from '../../registrar/participant-kinds.js'
import {registerParticipant, type RegisterParticipantResult} from '../../registrar/register-participant.js'

export default class RegistrarRegister extends MedrecCommand {
  static override summary =
    'Register a participant: a patient or another steward (by a certified provider), or a provider (by governance).'
  static override description =
    `A patient's registration needs the patient's consent: with --consent, the patient's key (named by --account, in \
this directory) signs it (EIP-712) and the provider submits it; without, the provider only offers it and the patient \
confirms with \`medrec registrar confirm\`.
Providers: once \`medrec contracts deploy\` has handed governance to the Consortium, providers join by a majority of \
the sealing providers with \`medrec provider add\`; \`register provider\` only works while a single account still \
governs (a Registrar deployed outside this tool).
A steward's identity is opaque: pass --id, or --local-id to derive it from a local identifier with the consortium's
HMAC key (never a plain hash, which record numbers make easy to reverse).
A patient's identity is not chosen: the Registrar derives it from the registering provider (--as) and the
enrolment reference (--local-id, the patient's record number here under the HMAC key, or --enrolment-ref 0x…),
so record numbers never collide across providers and no provider can register another provider's patient.`
  static override examples = [
    '<%= config.bin %> registrar register lab --local-id city-lab --account city-lab --as mercy',
    '<%= config.bin %> registrar register patient --local-id MRN-0042 --account alice --consent --as mercy',
  ]
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
