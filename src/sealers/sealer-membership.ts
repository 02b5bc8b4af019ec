import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import type {Address} from 'viem'
import {parseDocument} from 'yaml'

import {callJsonRpc} from '../chain/json-rpc.js'
import {configFileName} from '../config/network-config.js'
import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import {gethConfigToml, gethDataDir} from '../geth/geth-node-command.js'
import {ensureNodeKeys} from '../network/init-network.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from '../network/load-network.js'
import {findNetworkResources, resourceNames} from '../network/network-resources.js'
import {writeNetworkState} from '../network/network-state.js'
import {networkEnodes, upNetwork} from '../network/up-network.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {currentSigners, proposeSealerVote, reconcileSealerVotes} from './clique-votes.js'

const sealerNamePattern = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/

/** Polls until `check` returns a value or the deadline passes (then fails naming what it waited for). */
async function until<T>(what: string, deadline: number, check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) {
      throw new MedrecError(errorCodes.READY_TIMEOUT, `Timed out waiting for ${what}.`, {hint: 'See `medrec sealer list` and `medrec network logs`; allow more time with --timeout.'})
    }
    await delay(250)
  }
}

async function headNumber(network: LoadedNetwork): Promise<number> {
  return Number(await callJsonRpc<string>(rpcUrlOf(network.config), 'eth_blockNumber'))
}

/** The first block after `after` that `signer` sealed, polling the chain until the deadline. */
async function firstBlockSealedBy(network: LoadedNetwork, signer: Address, after: number, deadline: number): Promise<number> {
  let next = after + 1
  return until(`${signer} to seal a block`, deadline, async () => {
    const head = await headNumber(network)
    for (; next <= head; next++) {
      const sealer = await callJsonRpc<string>(rpcUrlOf(network.config), 'clique_getSigner', [`0x${next.toString(16)}`])
      if (sealer.toLowerCase() === signer.toLowerCase()) return next
    }
    return undefined
  })
}

/** Rewrites medrec.yaml's sealers with the yaml Document API, so comments and layout stay. */
async function editSealers(dir: string, edit: (sealers: {add(v: unknown): void; items: unknown[]}, doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const path = join(dir, configFileName)
  const doc = parseDocument(await readFile(path, 'utf8'))
  edit(doc.get('sealers') as never, doc)
  await writeFile(path, String(doc))
}

export type AddSealerResult = {
  name: string
  address: Address
  votesFrom: string[]
  signers: Address[]
  firstSealedBlock: number
  timings: {startedMs: number; signerMs: number; firstSealMs: number}
}

/**
 * Adds a sealer to a running network: its keys, its entry in medrec.yaml, its node
 * (started and introduced to the running nodes by `up`), the current signers' Clique
 * votes (recorded, so restarts do not lose them), and waits until it is a signer and has
 * sealed a block.
 */
export async function addSealer(options: {dir: string; engine: ContainerEngine; name: string; lightKdf?: boolean; timeoutMs?: number; progress?: ProgressListener}): Promise<AddSealerResult> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const deadline = started + (options.timeoutMs ?? 180_000)
  const network = await loadNetwork(options.dir)
  if (!sealerNamePattern.test(options.name) || ['rpc', 'deployer', 'identity'].includes(options.name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${options.name}" is not a valid sealer name.`, {hint: 'Use 2-32 lowercase letters, digits or dashes, starting with a letter; rpc, deployer and identity are taken.'})
  }
  if (network.config.sealers.some((s) => s.name === options.name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `There is already a sealer named ${options.name}.`, {hint: 'Choose another name, or see `medrec sealer list`.'})
  }
  if (!network.state.firstUpCompletedAt) {
    throw new MedrecError(errorCodes.NETWORK_NOT_CREATED, 'This network has not been started; sealers join a running network.', {
      hint: 'Start it with `medrec network up`, or before the first start use `medrec network init --force --sealers N`.',
    })
  }
  await options.engine.ping()
  const signersBefore = await currentSigners(network)

  const {address} = await runStep(progress, 'keys', `Creating ${options.name}'s keys and adding it to medrec.yaml`, async () => {
    const keys = await ensureNodeKeys(network.paths, options.name, {account: true, lightKdf: options.lightKdf ?? false})
    const p2pPort = Math.max(...network.config.sealers.map((s) => s.p2pPort)) + 1
    await editSealers(options.dir, (sealers, doc) => sealers.add(doc.createNode({name: options.name, address: keys.address!, p2pPort})))
    return {address: keys.address!}
  })
  await upNetwork({dir: options.dir, engine: options.engine, progress, timeoutMs: Math.max(1000, deadline - Date.now())})
  const startedMs = Date.now() - started

  const signerNames = network.config.sealers.filter((s) => signersBefore.some((a) => a.toLowerCase() === s.address.toLowerCase())).map((s) => s.name)
  await runStep(progress, 'vote', `Voting ${options.name} in from ${signerNames.join(', ')}`, () =>
    proposeSealerVote({dir: options.dir, engine: options.engine, address, authorize: true, from: signerNames}),
  )
  const joinedAt = await runStep(progress, 'signer', `Waiting for ${options.name} to become a signer`, () =>
    until(`${options.name} to join the signers`, deadline, async () => ((await currentSigners(network)).includes(address) ? headNumber(network) : undefined)),
  )
  const signerMs = Date.now() - started
  const firstSealedBlock = await runStep(progress, 'seal', `Waiting for ${options.name} to seal a block`, () => firstBlockSealedBy(network, address, joinedAt, deadline), (b) => `block ${b}`)
  // The vote has passed: forget it and withdraw the proposals, which would otherwise
  // count against a later vote to remove this sealer.
  await reconcileSealerVotes(options.engine, await loadNetwork(options.dir))
  return {name: options.name, address, votesFrom: signerNames, signers: await currentSigners(network), firstSealedBlock, timings: {startedMs, signerMs, firstSealMs: Date.now() - started}}
}

export type RemoveSealerResult = {name: string; address: Address; votesFrom: string[]; signers: Address[]; headAfter: number}

/**
 * Removes a sealer: the other signers vote it out; once it has left the signer set and
 * the others have sealed on without it, its node is stopped and removed, the others
 * forget it as a peer, and it leaves medrec.yaml. Its keys stay in .medrec/keys.
 */
export async function removeSealer(options: {dir: string; engine: ContainerEngine; name: string; timeoutMs?: number; progress?: ProgressListener}): Promise<RemoveSealerResult> {
  const progress = options.progress ?? silentProgress
  const deadline = Date.now() + (options.timeoutMs ?? 180_000)
  const network = await loadNetwork(options.dir)
  const sealer = network.config.sealers.find((s) => s.name === options.name)
  if (!sealer) {
    throw new MedrecError(errorCodes.NODE_NOT_FOUND, `There is no sealer named ${options.name}.`, {hint: `Sealers: ${network.config.sealers.map((s) => s.name).join(', ')}.`})
  }
  if (network.config.sealers.length === 1) throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The last sealer cannot be removed: nobody would seal.')
  await options.engine.ping()
  const address = sealer.address as Address
  const signers = await currentSigners(network)
  const others = network.config.sealers.filter((s) => s.name !== options.name && signers.some((a) => a.toLowerCase() === s.address.toLowerCase())).map((s) => s.name)
  if (signers.some((a) => a.toLowerCase() === address.toLowerCase())) {
    await runStep(progress, 'vote', `Voting ${options.name} out from ${others.join(', ')}`, () => proposeSealerVote({dir: options.dir, engine: options.engine, address, authorize: false, from: others}))
    await runStep(progress, 'signer', `Waiting for ${options.name} to leave the signers`, () =>
      until(`${options.name} to leave the signers`, deadline, async () => ((await currentSigners(network)).includes(address) ? undefined : true)),
    )
  }
  // The others must seal on without it before its node goes.
  await reconcileSealerVotes(options.engine, await loadNetwork(options.dir))
  const left = await headNumber(network)
  const headAfter = await runStep(progress, 'continue', 'Waiting for the others to seal on', () => until('two more blocks', deadline, async () => {
    const head = await headNumber(network)
    return head >= left + 2 ? head : undefined
  }))

  await runStep(progress, 'node', `Stopping and removing ${options.name}'s node`, async () => {
    const names = resourceNames(network.config.network.name)
    const {containers} = await findNetworkResources(options.engine, network.state.networkId)
    const gone = containers.find((c) => c.labels[labelKeys.node] === options.name)
    const enodes = await networkEnodes(network)
    const goneEnode = enodes.get(options.name)
    if (gone) {
      await options.engine.stopContainer(gone.id, 60)
      await options.engine.removeContainer(gone.id)
    }
    await options.engine.removeVolume(names.volume(options.name))
    await editSealers(options.dir, (sealers) => {
      sealers.items.splice(sealers.items.findIndex((item) => (item as {get(k: string): unknown}).get('name') === options.name), 1)
    })
    delete network.state.ips[options.name]
    await writeNetworkState(network.paths, network.state)
    // The others forget it: now in memory, and in config.toml for their next start.
    for (const c of containers.filter((c) => c !== gone && c.state === 'running' && (c.labels[labelKeys.role] === 'sealer' || c.labels[labelKeys.role] === 'rpc'))) {
      const node = c.labels[labelKeys.node]!
      const peers = [...enodes].filter(([name]) => name !== node && name !== options.name).map(([, enode]) => enode)
      await options.engine.putArchive(c.id, gethDataDir, createTarArchive([{path: 'config.toml', content: gethConfigToml(peers), mode: 0o644}]))
      if (goneEnode) {
        await gethIpcEval(options.engine, c.id, node, `admin.removeTrustedPeer("${goneEnode}")`)
        await gethIpcEval(options.engine, c.id, node, `admin.removePeer("${goneEnode}")`)
      }
    }
  })
  return {name: options.name, address, votesFrom: others, signers: await currentSigners(network), headAfter}
}
