import {MedrecCommand} from '../base-command.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import type {ProgressListener} from '../progress/progress-events.js'

/** The options every change of the signer set or of the provider whitelist takes from its command. */
export type MembershipChange = {
  dir: string
  engine: ContainerEngine
  name: string
  timeoutMs: number
  progress: ProgressListener
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
}
