import {Flags} from '@oclif/core'
import type {Input} from '@oclif/core/interfaces'

import {assertWorkspaceKind, findWorkspaceFiles, type WorkspaceKind} from '../config/workspace-kind.js'
import {describeProviderChange} from '../consortium/describe-provider-change.js'
import type {ProviderChangeResult} from '../consortium/provider-change-result.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {UsageError} from '../errors/usage-error.js'
import {
  describeMemberProviderChange,
  type MemberProviderChangeOptions,
  type MemberProviderChangeResult,
} from '../member/member-provider-change.js'
import {type MembershipChange, MembershipChangeCommand} from './membership-change-command.js'
import {memberBundleOutFlag, membershipTimeoutFlag} from './shared-flags.js'

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

/** A vote on one provider (NAME): how each kind of workspace casts it, given the command's parsed flags. */
export type ProviderVote<Parsed, R extends ProviderChangeResult> = {
  /** Casts this member's own votes (a member workspace). */
  asMember: (options: MemberProviderChangeOptions & {name: string}) => Promise<MemberProviderChangeResult>
  /** Casts the votes of the keys this directory holds (a network workspace), as a change of its membership. */
  asNetwork: (change: MembershipChange, flags: Parsed) => Promise<R>
}

/** A provider command that runs in either kind of workspace: how each runs it and prints its result. */
export type EitherWorkspace<M, N> = {
  /** As this member alone (a member workspace at `dir`). */
  asMember: (dir: string) => Promise<M>
  describeMember: (result: M) => string[]
  /** With the keys this directory holds (a network workspace). */
  asNetwork: () => Promise<N>
  describeNetwork: (result: N) => string[]
}

/**
 * The value of a flag that only a network workspace takes and needs (oclif cannot require it: a member
 * workspace leaves it out). Missing there, it is wrong usage, as when oclif required it.
 */
export function requiredInNetwork(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`Missing required flag ${flag}`)
  return value
}

/** --as of a vote that a network workspace casts as one of its sealing providers. */
export const networkVoterFlag = Flags.string({
  summary: 'Your sealing provider (its key must be in this network directory).',
})

/**
 * provider approve, remove and withdraw: a vote on one provider, cast the way the workspace at --dir votes. A member
 * workspace votes as its own provider, with its own key and node; a network workspace with the sealers' keys it holds.
 */
export abstract class ProviderVoteCommand extends MembershipChangeCommand {
  // Either kind, told apart in inEitherWorkspace.
  static override workspaceKind: WorkspaceKind = 'any'

  /** The flag that names keys of a network workspace; a member workspace votes with its own key and refuses it. */
  static networkOnlyFlag = 'as'

  /** Runs the command as the workspace at --dir does, prints what it did, and returns it. */
  protected async inEitherWorkspace<M, N>(flags: {dir: string}, run: EitherWorkspace<M, N>): Promise<M | N> {
    const dir = this.networkDir(flags)
    const command = this.id?.replaceAll(':', ' ')
    if ((await findWorkspaceFiles(dir)).member) {
      await assertWorkspaceKind(dir, 'member', command)
      const name = (this.constructor as typeof ProviderVoteCommand).networkOnlyFlag
      const flag = `--${name}`
      if ((flags as Record<string, unknown>)[name] !== undefined) {
        throw new MedrecError(errorCodes.INVALID_ARGUMENT, `${flag} is for network workspaces only.`, {
          hint: `A member workspace votes as its own provider, with its own key: leave out ${flag}.`,
        })
      }
      const result = await run.asMember(dir)
      this.logLines(run.describeMember(result))
      return result
    }
    await assertWorkspaceKind(dir, 'network', command)
    const result = await run.asNetwork()
    this.logLines(run.describeNetwork(result))
    return result
  }

  /** Parses `command`'s NAME and flags, casts the vote as this workspace votes, prints what it did, and returns it. */
  protected async voteOnProvider<
    F extends {out?: string; timeout: number},
    B extends {dir: string},
    A extends {name: string},
    R extends ProviderChangeResult,
  >(command: Input<F, B, A>, vote: ProviderVote<F & B, R>): Promise<R | MemberProviderChangeResult> {
    const {args, flags} = await this.parse(command)
    return this.inEitherWorkspace(flags, {
      asMember: (dir) => vote.asMember({dir, name: args.name, engine: this.dockerEngine(), out: flags.out}),
      describeMember: describeMemberProviderChange,
      asNetwork: () => this.changeMembership(args.name, flags, (change) => vote.asNetwork(change, flags)),
      describeNetwork: describeProviderChange,
    })
  }
}
