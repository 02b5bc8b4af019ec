import {Flags} from '@oclif/core'

import {MedrecCommand} from '../base-command.js'
import type {WorkspaceKind} from '../config/workspace-kind.js'

/** A command on one provider's member workspace: --dir holds medrec-member.yaml, never medrec.yaml. */
export abstract class MemberCommand extends MedrecCommand {
  static override workspaceKind: WorkspaceKind = 'member'

  static override baseFlags = {
    dir: Flags.directory({
      char: 'd',
      summary: "Directory of this provider's member workspace (holds medrec-member.yaml).",
      default: '.',
      helpGroup: 'GLOBAL',
    }),
  }
}
