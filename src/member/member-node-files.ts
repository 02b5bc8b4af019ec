import type {ContainerEngine, ContainerInfo} from '../docker/container-engine.js'
import {createTarArchive, type ArchiveEntry} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethConfigToml, gethDataDir} from '../geth/geth-node-command.js'
import {memberLabels, type MemberRef} from './member-resources.js'

export type MemberVolumeFiles = {
  genesisText: string
  nodeKey: string
  /** The sealer's account key; absent for the keyless RPC node. */
  account?: {address: string; keystore: string; password: string}
}

/**
 * Copies a node's files into its volume and runs `geth init` with the genesis in a
 * short-lived container. Keys travel through the Docker archive API, never on a command
 * line or in an image. Run at every creation of the container: init on a datadir that
 * holds the same genesis changes nothing, and one with another genesis fails here, named.
 */
export async function initMemberVolume(
  engine: ContainerEngine,
  ref: MemberRef,
  node: {name: string; image: string; volume: string; initContainer: string},
  files: MemberVolumeFiles,
): Promise<void> {
  const entries: ArchiveEntry[] = [
    {path: 'genesis.json', content: files.genesisText, mode: 0o644},
    {path: 'config.toml', content: gethConfigToml([]), mode: 0o644},
    {path: 'nodekey', content: files.nodeKey, mode: 0o600},
  ]
  if (files.account) {
    const fileName = `UTC--medrec--${files.account.address.slice(2).toLowerCase()}`
    entries.push({path: `keystore/${fileName}`, content: files.account.keystore, mode: 0o600})
    entries.push({path: 'password', content: files.account.password, mode: 0o400})
  }
  const stale = await engine.inspectContainer(node.initContainer)
  if (stale) await engine.removeContainer(stale.id)
  const id = await engine.createContainer({
    name: node.initContainer,
    image: node.image,
    cmd: ['--datadir', gethDataDir, 'init', `${gethDataDir}/genesis.json`],
    labels: memberLabels(ref, {role: 'init', node: node.name}),
    volume: {name: node.volume, path: gethDataDir},
  })
  try {
    await engine.putArchive(id, gethDataDir, createTarArchive(entries, files.account ? ['keystore/'] : []))
    await engine.startContainer(id)
    const exitCode = await engine.waitContainer(id)
    if (exitCode !== 0) {
      const logs = await engine.logsText(id, 20)
      throw new MedrecError(
        errorCodes.NODE_FAILED,
        `${ref.member}: \`geth init\` of its ${node.name} failed (exit code ${exitCode}).`,
        {
          details: logs.trim().split('\n').slice(-5),
          hint: `A volume from a chain with another genesis? \`medrec member destroy\` removes ${node.volume}.`,
        },
      )
    }
  } finally {
    await engine.removeContainer(id)
  }
}

/** Replaces a node's config.toml (its static and trusted peers); read by geth at its next start. */
export async function writeMemberNodeConfig(
  engine: ContainerEngine,
  container: Pick<ContainerInfo, 'id'>,
  staticNodes: readonly string[],
  trustedNodes: readonly string[],
  maxPeers: number = trustedNodes.length,
): Promise<void> {
  const file = {path: 'config.toml', content: gethConfigToml(staticNodes, trustedNodes, {maxPeers}), mode: 0o644}
  await engine.putArchive(container.id, gethDataDir, createTarArchive([file]))
}
