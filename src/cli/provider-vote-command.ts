import {assertWorkspaceKind, findWorkspaceFiles, type WorkspaceKind} from '../config/workspace-kind.js'
import {describeProviderChange} from '../consortium/describe-provider-change.js'
import type {ProviderChangeResult} from '../consortium/provider-change-result.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  describeMemberProviderChange,
  type MemberProviderChangeOptions,
  type MemberProviderChangeResult,
} from '../member/member-provider-change.js'
import {MembershipChangeCommand} from './membership-change-command.js'
import {memberBundleOutFlag, membershipTimeoutFlag, outFile} from './shared-flags.js'

/**
 * --out and --timeout of a provider vote, one for each way it is cast: where a member workspace also writes the
 * bundle its vote refreshes, and how long a network workspace waits for the change (`timeoutSummary` says what).
 */
export function providerVoteFlags(timeoutSummary: string) {
  return {
    out: memberBundleOutFlag,
    timeout: membershipTimeoutFlag(timeoutSummary),
  }
}

/** A vote on one provider: how each kind of workspace casts it. */
export type ProviderVote<R extends ProviderChangeResult> = {
  name: string
  flags: {dir: string; out?: string}
  /** The flag (e.g. `--as`) that names keys of a network workspace, and whether it was given. */
  networkOnlyFlag: {name: string; given: boolean}
  /** Casts this member's own votes (a member workspace). */
  asMember: (options: MemberProviderChangeOptions & {name: string}) => Promise<MemberProviderChangeResult>
  /** Casts the votes of the keys this directory holds (a network workspace). */
  asNetwork: () => Promise<R>
}

/**
 * provider approve and remove: a vote on one provider, cast the way the workspace at --dir votes. A member workspace
 * votes as its own provider, with its own key and node; a network workspace with the sealers' keys it holds.
 */
export abstract class ProviderVoteCommand extends MembershipChangeCommand {
  // Either kind, told apart in voteOnProvider.
  static override workspaceKind: WorkspaceKind = 'any'

  /** Casts the vote as this workspace votes, prints what it did, and returns it. */
  protected async voteOnProvider<R extends ProviderChangeResult>(
    vote: ProviderVote<R>,
  ): Promise<R | MemberProviderChangeResult> {
    const dir = this.networkDir(vote.flags)
    const command = this.id?.replaceAll(':', ' ')
    if ((await findWorkspaceFiles(dir)).member) {
      await assertWorkspaceKind(dir, 'member', command)
      const flag = vote.networkOnlyFlag.name
      if (vote.networkOnlyFlag.given) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} is for network workspaces only.`, {
          hint: `A member workspace votes as its own provider, with its own key: leave out ${flag}.`,
        })
      }
      const result = await vote.asMember({dir, name: vote.name, engine: this.dockerEngine(), ...outFile(vote.flags)})
      this.logLines(describeMemberProviderChange(result))
      return result
    }
    await assertWorkspaceKind(dir, 'network', command)
    const result = await vote.asNetwork()
    this.logLines(describeProviderChange(result))
    return result
  }
}
