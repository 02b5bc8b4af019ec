import {Args, Flags} from '@oclif/core'

import {MembershipChangeCommand} from '../../cli/membership-change-command.js'
import {membershipTimeoutFlag, outFile, voteAsFlag} from '../../cli/shared-flags.js'
import {assertWorkspaceKind, findWorkspaceFiles, type WorkspaceKind} from '../../config/workspace-kind.js'
import {removeProvider, type RemoveProviderReturnType} from '../../consortium/remove-provider.js'
import {describeProviderChange} from '../../consortium/describe-provider-change.js'
import {errorCodes} from '../../errors/error-codes.js'
import {MedrecError} from '../../errors/medrec-error.js'
import {
  describeMemberProviderChange,
  removeAsMember,
  type MemberProviderChangeResult,
} from '../../member/member-provider-change.js'

export default class ProviderRemove extends MembershipChangeCommand {
  // Either kind: a network workspace votes with the keys it holds; a member workspace with its own.
  static override workspaceKind: WorkspaceKind = 'any'
  static override summary =
    'Vote a provider off the whitelist and, if it seals, out of the signer set; then stop its node.'
  static override description =
    'The sealing providers whose keys are here (or those named with --vote-as) vote on chain to remove it, ' +
    'and its fellow signers vote it out of Clique. Once it has left the signer set and the others have ' +
    'sealed on, its node and volume are removed and it leaves medrec.yaml. Its keys stay in .medrec/keys. ' +
    "In a member workspace (medrec-member.yaml) it casts only that member's votes, with its own key and node; " +
    'the others approve with `provider approve NAME`, and the deciding vote exports the bundle without it (--out).'
  static override examples = [
    '<%= config.bin %> provider remove st-anne',
    '<%= config.bin %> provider remove st-anne --dir ./mercy --out carenet.bundle.json',
  ]
  static override args = {name: Args.string({description: 'The provider to remove.', required: true})}
  static override flags = {
    'vote-as': voteAsFlag,
    out: Flags.string({summary: 'Member workspace: also write the refreshed bundle to this file.'}),
    timeout: membershipTimeoutFlag('Seconds to wait for it to leave.'),
  }

  async run(): Promise<RemoveProviderReturnType | MemberProviderChangeResult> {
    const {args, flags} = await this.parse(ProviderRemove)
    const dir = this.networkDir(flags)
    if ((await findWorkspaceFiles(dir)).member) {
      await assertWorkspaceKind(dir, 'member', 'provider remove')
      if (flags['vote-as']) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, '--vote-as is for network workspaces only.', {
          hint: 'A member workspace votes as its own provider, with its own key: leave out --vote-as.',
        })
      }
      const result = await removeAsMember({dir, name: args.name, engine: this.dockerEngine(), ...outFile(flags)})
      this.logLines(describeMemberProviderChange(result))
      return result
    }
    await assertWorkspaceKind(dir, 'network', 'provider remove')
    const result = await this.changeMembership(args.name, flags, (change) =>
      removeProvider({...change, voteAs: flags['vote-as']}),
    )
    this.logLines(describeProviderChange(result))
    return result
  }
}
