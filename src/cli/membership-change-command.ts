import {MedrecCommand} from '../base-command.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import type {ProgressListener} from '../progress/progress-events.js'
import {lightKdfFlag, membershipTimeoutFlag} from './shared-flags.js'

/** The options every change of the signer set or of the provider whitelist takes from its command. */
export type MembershipChange = {
  dir: string
  engine: ContainerEngine
  name: string
  timeoutMs: number
  progress: ProgressListener
}

/** --timeout and --light-kdf of a command that adds a member: it creates its keys and waits until it seals. */
export const joinFlags = {
  timeout: membershipTimeoutFlag('Seconds to wait for it to join and seal.'),
  'light-kdf': lightKdfFlag,
}

/**
 * provider add/approve/remove and sealer add/remove: each changes who seals or who is whitelisted, runs on
 * this Docker engine, waits up to --timeout seconds for the change to take effect, and draws its progress.
 */
export abstract class MembershipChangeCommand extends MedrecCommand {
  // Own, not inherited: oclif's manifest reads statics up the classes only while each has own ones.
  static override enableJsonFlag = true

  /** Runs `change` on the participant `name`, given what every membership change takes. */
  protected changeMembership<R>(
    name: string,
    flags: {dir: string; timeout: number},
    change: (common: MembershipChange) => Promise<R>,
  ): Promise<R> {
    return this.withProgress((progress) =>
      change({...this.dockerNetwork(flags), name, timeoutMs: flags.timeout * 1000, progress}),
    )
  }

  /** Adds the participant `name` with the {@link joinFlags} (--light-kdf warns by itself), then changes as above. */
  protected joinMembership<R>(
    name: string,
    flags: {dir: string; timeout: number; 'light-kdf'?: boolean},
    join: (common: MembershipChange & {lightKdf: boolean | undefined}) => Promise<R>,
  ): Promise<R> {
    return this.changeMembership(name, flags, (change) => join({...change, lightKdf: flags['light-kdf']}))
  }
}
