import type {Address} from 'viem'

import type {ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive, type ArchiveEntry} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethDataDir} from '../geth/geth-node-command.js'
import type {LoadedNetwork} from '../workspace/load-network.js'
import {resourceLabels, resourceNames} from '../workspace/network-resources.js'

/** A node as `up` runs it: its fixed address and port, and for a sealer its signer. */
export type NodePlan = {name: string; role: 'sealer' | 'rpc'; ip: string; p2pPort: number; address?: Address}

/** A node's key material, read before anything is created. */
export type NodeSecrets = {nodeKey: string; keystore?: string; password?: string}

/** A node's own files: its node key, config.toml, and for a sealer its keystore and password. */
function nodeFiles(plan: NodePlan, secrets: NodeSecrets, configToml: string): ArchiveEntry[] {
  const files: ArchiveEntry[] = [
    {path: 'config.toml', content: configToml, mode: 0o644},
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
  return files
}

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
  configToml: string,
): Promise<void> {
  const names = resourceNames(loaded.config.network.name)
  const files: ArchiveEntry[] = [
    {path: 'genesis.json', content: loaded.genesisText, mode: 0o644},
    ...nodeFiles(plan, secrets, configToml),
  ]
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

/**
 * Copies a node's files into its container before the container first starts: into its volume
 * (`onVolume`), or for chain data on tmpfs into the container's own filesystem under the
 * datadir, beside the tmpfs that holds the chain, so they outlive a stop while the chain does
 * not. config.toml carries the genesis, which geth writes into its empty database when it
 * starts, so no `geth init` container runs first.
 */
export async function writeNodeFiles(
  engine: ContainerEngine,
  containerId: string,
  node: {plan: NodePlan; secrets: NodeSecrets; configToml: string; onVolume: boolean},
): Promise<void> {
  if (node.onVolume) {
    const files = nodeFiles(node.plan, node.secrets, node.configToml)
    const directories = node.plan.role === 'sealer' ? ['keystore/'] : []
    await engine.putArchive(containerId, gethDataDir, createTarArchive(files, directories))
    return
  }
  // The image (FROM scratch) has no datadir until the tmpfs is mounted in it at start: the
  // archive goes to / and makes the directory itself.
  const dir = gethDataDir.replace(/^\//, '')
  const files = nodeFiles(node.plan, node.secrets, node.configToml).map((f) => ({...f, path: `${dir}/${f.path}`}))
  const directories = [`${dir}/`, ...(node.plan.role === 'sealer' ? [`${dir}/keystore/`] : [])]
  await engine.putArchive(containerId, '/', createTarArchive(files, directories))
}
