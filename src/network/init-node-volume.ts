import type {Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive, type ArchiveEntry} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethConfigToml, gethDataDir} from '../geth/geth-node-command.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import {resourceLabels, resourceNames} from '../workspace/network-resources.js'

/** A node as `up` runs it: its fixed address and port, and for a sealer its signer. */
export type NodePlan = {name: string; role: 'sealer' | 'rpc'; ip: string; p2pPort: number; address?: Address}

/** A node's key material, read before anything is created. */
export type NodeSecrets = {nodeKey: string; keystore?: string; password?: string}

/**
 * Copies a node's files into its volume and runs `geth init` on it in a short-lived
 * container. Keys travel through the Docker archive API: never in an image layer or
 * on a command line.
 */
export async function initNodeVolume(
  engine: ContainerEngine,
  loaded: LoadedNetwork,
  plan: NodePlan,
  secrets: NodeSecrets,
  staticPeers: string[],
): Promise<void> {
  const names = resourceNames(loaded.config.network.name)
  const files: ArchiveEntry[] = [
    {path: 'genesis.json', content: loaded.genesisText, mode: 0o644},
    {path: 'config.toml', content: gethConfigToml(staticPeers), mode: 0o644},
    {path: 'nodekey', content: secrets.nodeKey, mode: 0o600},
  ]
  if (plan.role === 'sealer') {
    files.push({
      path: `keystore/UTC--medrec--${plan.address!.slice(2).toLowerCase()}`,
      content: secrets.keystore!,
      mode: 0o600,
    })
    files.push({path: 'password', content: secrets.password!, mode: 0o400})
  }
  const labels = resourceLabels(loaded.config, loaded.state, {role: 'init', node: plan.name})
  const stale = await engine.inspectContainer(names.initContainer(plan.name))
  if (stale) await engine.removeContainer(stale.id)
  const id = await engine.createContainer({
    name: names.initContainer(plan.name),
    image: loaded.config.image,
    cmd: ['--datadir', gethDataDir, 'init', `${gethDataDir}/genesis.json`],
    labels,
    volume: {name: names.volume(plan.name), path: gethDataDir},
  })
  try {
    await engine.putArchive(id, gethDataDir, createTarArchive(files, plan.role === 'sealer' ? ['keystore/'] : []))
    await engine.startContainer(id)
    const exitCode = await engine.waitContainer(id)
    if (exitCode !== 0) {
      const logs = await engine.logsText(id, 20)
      throw new MedrecError(errorCodes.NODE_FAILED, `${plan.name}: \`geth init\` failed (exit code ${exitCode}).`, {
        details: logs.trim().split('\n').slice(-5),
        hint: 'A volume from an older chain with another genesis? `medrec network destroy` removes it.',
      })
    }
  } finally {
    await engine.removeContainer(id)
  }
}
