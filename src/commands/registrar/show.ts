import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {participantLookupFlags} from '../../cli/shared-flags.js'
import {showParticipant, type ParticipantInfo} from '../../registrar/read-registrar.js'

export default class RegistrarShow extends MedrecCommand {
  static override flags = participantLookupFlags('Look up by account (key name or 0x address).')

  async run(): Promise<ParticipantInfo> {
    const p = await this.serve(RegistrarShow, showParticipant)
    const certified = p.kind === 'provider' ? (p.certified ? ' (certified)' : ' (not certified)') : ''
    this.log(`Identity   ${p.id}\nKind       ${p.kind}${certified}\nAccount    ${p.account}\nSummary    ${p.summary}`)
    return p
  }
}

describeCommand(RegistrarShow, import.meta.url)
