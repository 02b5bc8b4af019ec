import {Args, Flags} from '@oclif/core'

import {MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {membershipTimeoutFlag, outFile} from '../../cli/shared-flags.js'
import {assertWorkspaceKind, findWorkspaceFiles, type WorkspaceKind} from '../../config/workspace-kind.js'
import {approveProvider, type ApproveProviderReturnType} from '../../consortium/approve-provider.js'
import {describeProviderChange} from '../../consortium/describe-provider-change.js'
import {errorCodes} from '../../errors/error-codes.js'
import {MedrecError} from '../../errors/medrec-error.js'
import {UsageError} from '../../errors/usage-error.js'
import {
  approveAsMember,
  describeMemberProviderChange,
  type MemberProviderChangeResult,
} from '../../member/member-provider-change.js'

export default class ProviderApprove extends MembershipChangeCommand {
  // Either kind: a network workspace votes as --as; a member workspace as its own provider.
  static override workspaceKind: WorkspaceKind = 'any'
  static override summary =
    "Cast one sealing provider's votes (on chain and in Clique) for the open proposal about a provider."
  static override description =
    'For consortia where each provider holds only its own keys. In a network workspace, `--as` names your sealer, ' +
    'whose key signs the on-chain vote and whose node casts the Clique vote over IPC; when your vote completes the ' +
    'majority, the command waits until the new sealer has sealed a block, or the removed one has left and its node ' +
    "is gone. In a member workspace (medrec-member.yaml) it votes with that member's own key and node, reports " +
    '`awaiting-votes k of n` or `executed`, and once executed exports the bundle with the change (--out).'
  static override examples = [
    '<%= config.bin %> provider approve st-anne --as sealer-2',
    '<%= config.bin %> provider approve st-anne --dir ./mercy --out carenet.bundle.json',
  ]
  static override args = {name: Args.string({description: 'The provider the proposal is about.', required: true})}
  static override flags = {
    as: Flags.string({summary: 'Your sealing provider (its key must be in this network directory).'}),
    out: Flags.string({summary: 'Member workspace: also write the refreshed bundle to this file.'}),
    timeout: membershipTimeoutFlag('Seconds to wait for the change to take effect.'),
  }

  async run(): Promise<ApproveProviderReturnType | MemberProviderChangeResult> {
    const {args, flags} = await this.parse(ProviderApprove)
    const dir = this.networkDir(flags)
    if ((await findWorkspaceFiles(dir)).member) {
      await assertWorkspaceKind(dir, 'member', 'provider approve')
      if (flags.as) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--as is for network workspaces only.', {
          hint: 'A member workspace votes as its own provider, with its own key: leave out --as.',
        })
      }
      const result = await approveAsMember({dir, name: args.name, engine: this.dockerEngine(), ...outFile(flags)})
      this.logLines(describeMemberProviderChange(result))
      return result
    }
    await assertWorkspaceKind(dir, 'network', 'provider approve')
    const as = flags.as
    if (!as) {
      // As when oclif required it: wrong usage in a network workspace.
      throw new UsageError('Missing required flag as')
    }
    const result = await this.changeMembership(args.name, flags, (change) => approveProvider({...change, as}))
    this.logLines(describeProviderChange(result))
    return result
  }
}
