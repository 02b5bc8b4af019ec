import {labelKeys} from '../docker/container-engine.js'

/**
 * A profile names a bundle of settings, chosen once with `network init --profile` and kept in
 * medrec.yaml (`profile:`) so every later command knows it. `standard` is a consortium's network;
 * `throwaway` is a test or CI network: fast to start, gone without a trace.
 */
export const networkProfiles = ['standard', 'throwaway'] as const
export type NetworkProfile = (typeof networkProfiles)[number]

export type ProfileSettings = {
  /** Clique period a new network gets unless --period says otherwise. */
  defaultPeriod: number
  /** geth's light scrypt for every key (fast, weak). */
  lightKdf: boolean
  /**
   * Where each node's chain data lives: a named volume that survives `down` and `up`, or a
   * tmpfs, in memory and empty at every start, so a stopped network has lost its chain.
   */
  chainData: 'volume' | 'tmpfs'
  /** Docker restarts a crashed node (standard), or leaves it stopped (throwaway: a failure shows). */
  restartPolicy: 'unless-stopped' | 'no'
  /**
   * Whether `up` may run the supervised vote reconciler. A throwaway network runs none: nothing
   * outlives the test that made it. (The reconciler's own `reconciler` setting can only add an off.)
   */
  reconciler: boolean
  /** Labels every Docker object of such a network carries besides the network's own. */
  labels: Readonly<Record<string, string>>
}

const settings: Record<NetworkProfile, ProfileSettings> = {
  standard: {
    defaultPeriod: 5,
    lightKdf: false,
    chainData: 'volume',
    restartPolicy: 'unless-stopped',
    reconciler: true,
    labels: {},
  },
  throwaway: {
    defaultPeriod: 1,
    lightKdf: true,
    chainData: 'tmpfs',
    restartPolicy: 'no',
    reconciler: false,
    labels: {[labelKeys.profile]: 'throwaway'},
  },
}

/** What a profile means, as plain data. */
export function profileSettings(profile: NetworkProfile): ProfileSettings {
  return settings[profile]
}

/** The label selector of every Docker object of every throwaway network on an engine. */
export const throwawaySelector: Readonly<Record<string, string>> = {
  [labelKeys.managed]: 'true',
  [labelKeys.profile]: 'throwaway',
}

/**
 * Whether `up` runs the vote reconciler for this configuration: medrec.yaml's
 * `reconciler.enabled`, and never on a profile that runs none (throwaway).
 */
export function reconcilerEnabled(config: {profile: NetworkProfile; reconciler: {enabled: boolean}}): boolean {
  return config.reconciler.enabled && profileSettings(config.profile).reconciler
}
