import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Address} from 'viem'
import {isMap, isSeq, parseDocument, type Document, type YAMLSeq} from 'yaml'

import {headBlockNumber} from '../clique/chain-head.js'
import {reconcileSealerVotes} from '../clique/reissue-votes.js'
import {BlockSignerScan} from '../clique/signer-of-block.js'
import {currentSigners} from '../clique/signers-at.js'
import {cliqueVotesNeeded} from '../clique/votes-needed.js'
import {assertNodeName, configFileName} from '../config/network-config.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {ensureNodeKeys} from '../workspace/network-keys.js'
import {pushReconcilerDesired} from '../workspace/save-recorded-votes.js'
import {profileSettings} from '../config/network-profile.js'
import {loadNetwork, rpcUrlOf, type LoadedNetwork} from '../workspace/load-network.js'
import {removeNetworkNodes, upNetwork} from '../network/up-network.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {pollUntil} from '../wait/poll-until.js'
import {proposeSealerVote} from './clique-votes.js'

/** Polls until `check` returns a value or the deadline passes; any error means "not yet" (the chain may reorg). */
function until<T>(what: string, deadline: number, check: () => Promise<T | undefined>): Promise<T> {
  return pollUntil(what, deadline, check, {
    interval: 250,
    retryable: () => true,
    onTimeout: () => ({hint: 'See `medrec sealer list` and `medrec network logs`; allow more time with --timeout.'}),
  })
}

function headNumber(network: LoadedNetwork): Promise<number> {
  return headBlockNumber(rpcUrlOf(network.config))
}

/** The first block after `after` that `signer` sealed, polling the chain until the deadline. */
/**
 * Blocks that must stand on a new signer's first block before it counts: its block is often out of turn
 * (difficulty 1), and an in-turn block of the same height (difficulty 2) arriving a moment later replaces it.
 */
const firstSealConfirmations = 2

/** The first block the signer sealed that is still in the chain once `firstSealConfirmations` blocks build on it. */
function firstBlockSealedBy(network: LoadedNetwork, signer: Address, after: number, deadline: number): Promise<number> {
  const scan = new BlockSignerScan(rpcUrlOf(network.config), after)
  return until(`${signer} to seal a block that stays in the chain`, deadline, async () => {
    const head = await headNumber(network)
    // A block the scan stops at is read again on the next call: one replaced by a reorg is passed over then.
    const found = await scan.scanTo(head, (_, sealer) => sealer.toLowerCase() === signer.toLowerCase())
    return found !== undefined && head >= found + firstSealConfirmations ? found : undefined
  })
}

/** Rewrites medrec.yaml's sealers with the yaml Document API, so comments and layout stay. */
async function editSealers(dir: string, edit: (sealers: YAMLSeq, doc: Document) => void): Promise<void> {
  const path = join(dir, configFileName)
  const doc = parseDocument(await readFile(path, 'utf8'))
  const sealers = doc.get('sealers')
  // loadNetwork has validated the file; a list that is not a YAML sequence here means it changed since.
  if (!isSeq(sealers)) {
    throw new MedrecError(errorCodes.CONFIG_INVALID, `${path}: sealers is not a list.`, {
      hint: 'Restore the sealers list in medrec.yaml.',
    })
  }
  edit(sealers, doc)
  await writeFile(path, String(doc))
}

export type AddSealerResult = {
  name: string
  address: Address
  votesFrom: string[]
  /** signing: it is a signer and has sealed; awaiting-votes: too few votes were cast here. */
  status: 'signing' | 'awaiting-votes'
  votesNeeded: number
  signers: Address[]
  firstSealedBlock: number | null
  timings: {startedMs: number; signerMs: number | null; firstSealMs: number | null}
}

/**
 * Adds a sealer to a running network: its keys, its entry in medrec.yaml, its node
 * (started and introduced to the running nodes by `up`), the current signers' Clique
 * votes (recorded, so restarts do not lose them), and waits until it is a signer and has
 * sealed a block.
 */
export async function addSealer(options: {
  dir: string
  engine: ContainerEngine
  name: string
  lightKdf?: boolean
  timeoutMs?: number
  /** Sealers whose Clique votes to cast here (default: every current signer). */
  votesFrom?: string[]
  progress?: ProgressListener
}): Promise<AddSealerResult> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const deadline = started + (options.timeoutMs ?? 180_000)
  const network = await loadNetwork(options.dir)
  assertNodeName(options.name, 'sealer')
  if (network.config.sealers.some((s) => s.name === options.name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `There is already a sealer named ${options.name}.`, {
      hint: 'Choose another name, or see `medrec sealer list`.',
    })
  }
  if (!network.state.firstUpCompletedAt) {
    throw new MedrecError(
      errorCodes.NETWORK_NOT_CREATED,
      'This network has not been started; sealers join a running network.',
      {
        hint:
          'Start it with `medrec network up`, or before the first start use `medrec network init --force ' +
          '--sealers N`.',
      },
    )
  }
  await options.engine.ping()
  const signersBefore = await currentSigners(network)

  const {address} = await runStep(
    progress,
    'keys',
    `Creating ${options.name}'s keys and adding it to medrec.yaml`,
    async () => {
      const keys = await ensureNodeKeys(network.paths, options.name, {
        account: true,
        // A throwaway network's keys are all light (its profile), whatever the flag.
        lightKdf: (options.lightKdf ?? false) || profileSettings(network.config.profile).lightKdf,
      })
      const p2pPort = Math.max(...network.config.sealers.map((s) => s.p2pPort)) + 1
      await editSealers(options.dir, (sealers, doc) =>
        sealers.add(doc.createNode({name: options.name, address: keys.address!, p2pPort})),
      )
      return {address: keys.address!}
    },
  )
  await upNetwork({
    dir: options.dir,
    engine: options.engine,
    progress,
    timeoutMs: Math.max(1000, deadline - Date.now()),
  })
  const startedMs = Date.now() - started

  const signerNames = signerNamesOf(network, signersBefore, options.votesFrom)
  // An empty list casts nothing (proposeSealerVote would read it as "every sealer").
  if (signerNames.length > 0) {
    await runStep(progress, 'vote', `Voting ${options.name} in from ${signerNames.join(', ')}`, () =>
      proposeSealerVote({dir: options.dir, engine: options.engine, address, authorize: true, from: signerNames}),
    )
  }
  const votesNeeded = cliqueVotesNeeded(signersBefore.length)
  const base = {name: options.name, address, votesFrom: signerNames, votesNeeded}
  if (signerNames.length < votesNeeded) {
    return {
      ...base,
      status: 'awaiting-votes',
      signers: signersBefore,
      firstSealedBlock: null,
      timings: {startedMs, signerMs: null, firstSealMs: null},
    }
  }
  const joined = await awaitSignerAndFirstSeal({
    dir: options.dir,
    engine: options.engine,
    name: options.name,
    address,
    deadline,
    progress,
  })
  return {
    ...base,
    status: 'signing',
    signers: joined.signers,
    firstSealedBlock: joined.firstSealedBlock,
    timings: {startedMs, signerMs: joined.signerAt - started, firstSealMs: Date.now() - started},
  }
}

/** The names of the given signers (limited to `only` when given), refusing unknown names. */
function signerNamesOf(network: LoadedNetwork, signers: Address[], only: string[] | undefined): string[] {
  const names = network.config.sealers
    .filter((s) => signers.some((a) => a.toLowerCase() === s.address.toLowerCase()))
    .map((s) => s.name)
  if (only === undefined) return names
  const unknown = only.filter((n) => !names.includes(n))
  if (unknown.length > 0) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `Not current signers: ${unknown.join(', ')}.`, {
      hint: `Current signers: ${names.join(', ')}.`,
    })
  }
  return only
}

/**
 * Waits until `address` is a signer and has sealed a block, then forgets the passed vote
 * and withdraws the proposals, which would otherwise count against a later vote to
 * remove it.
 */
export async function awaitSignerAndFirstSeal(options: {
  dir: string
  engine: ContainerEngine
  name: string
  address: Address
  deadline: number
  progress?: ProgressListener
}): Promise<{signers: Address[]; signerAt: number; firstSealedBlock: number}> {
  const progress = options.progress ?? silentProgress
  const network = await loadNetwork(options.dir)
  const joinedAt = await runStep(progress, 'signer', `Waiting for ${options.name} to become a signer`, () =>
    until(`${options.name} to join the signers`, options.deadline, async () =>
      (await currentSigners(network)).includes(options.address) ? headNumber(network) : undefined,
    ),
  )
  const signerAt = Date.now()
  const firstSealedBlock = await runStep(
    progress,
    'seal',
    `Waiting for ${options.name} to seal a block`,
    () => firstBlockSealedBy(network, options.address, joinedAt, options.deadline),
    (b) => `block ${b}`,
  )
  await reconcileSealerVotes(options.engine, await loadNetwork(options.dir))
  return {signers: await currentSigners(network), signerAt, firstSealedBlock}
}

export type RemoveSealerResult = {
  name: string
  address: Address
  votesFrom: string[]
  /** removed: it left the signers and its node is gone; awaiting-votes: too few votes were cast here. */
  status: 'removed' | 'awaiting-votes'
  votesNeeded: number
  signers: Address[]
  headAfter: number | null
}

/**
 * Removes a sealer: the other signers vote it out; once it has left the signer set and
 * the others have sealed on without it, its node is stopped and removed, the others
 * forget it as a peer, and it leaves medrec.yaml. Its keys stay in .medrec/keys.
 */
export async function removeSealer(options: {
  dir: string
  engine: ContainerEngine
  name: string
  timeoutMs?: number
  /** Sealers whose Clique votes to cast here (default: every other signer). */
  votesFrom?: string[]
  progress?: ProgressListener
}): Promise<RemoveSealerResult> {
  const progress = options.progress ?? silentProgress
  const deadline = Date.now() + (options.timeoutMs ?? 180_000)
  const network = await loadNetwork(options.dir)
  const sealer = network.config.sealers.find((s) => s.name === options.name)
  if (!sealer) {
    throw new MedrecError(errorCodes.NODE_NOT_FOUND, `There is no sealer named ${options.name}.`, {
      hint: `Sealers: ${network.config.sealers.map((s) => s.name).join(', ')}.`,
    })
  }
  if (network.config.sealers.length === 1)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The last sealer cannot be removed: nobody would seal.')
  await options.engine.ping()
  const address = sealer.address as Address
  const signers = await currentSigners(network)
  const others =
    options.votesFrom === undefined
      ? signerNamesOf(network, signers, undefined).filter((n) => n !== options.name)
      : signerNamesOf(network, signers, options.votesFrom)
  const votesNeeded = cliqueVotesNeeded(signers.length)
  if (signers.some((a) => a.toLowerCase() === address.toLowerCase())) {
    if (others.length > 0)
      await runStep(progress, 'vote', `Voting ${options.name} out from ${others.join(', ')}`, () =>
        proposeSealerVote({dir: options.dir, engine: options.engine, address, authorize: false, from: others}),
      )
    if (others.length < votesNeeded) {
      return {
        name: options.name,
        address,
        votesFrom: others,
        status: 'awaiting-votes',
        votesNeeded,
        signers,
        headAfter: null,
      }
    }
    await runStep(progress, 'signer', `Waiting for ${options.name} to leave the signers`, () =>
      until(`${options.name} to leave the signers`, deadline, async () =>
        (await currentSigners(network)).includes(address) ? undefined : true,
      ),
    )
  }
  // The others must seal on without it before its node goes.
  await reconcileSealerVotes(options.engine, await loadNetwork(options.dir))
  const left = await headNumber(network)
  const headAfter = await runStep(progress, 'continue', 'Waiting for the others to seal on', () =>
    until('two more blocks', deadline, async () => {
      const head = await headNumber(network)
      return head >= left + 2 ? head : undefined
    }),
  )

  await runStep(progress, 'node', `Stopping and removing ${options.name}'s node`, async () => {
    // Through plan and apply, scoped to this node: the other nodes are left as they are.
    await removeNetworkNodes({dir: options.dir, engine: options.engine, nodes: [options.name]})
    await editSealers(options.dir, (sealers) => {
      sealers.items.splice(
        sealers.items.findIndex((item) => isMap(item) && item.get('name') === options.name),
        1,
      )
    })
    // The reconciler no longer looks after it.
    await pushReconcilerDesired(options.engine, await loadNetwork(options.dir))
  })
  return {
    name: options.name,
    address,
    votesFrom: others,
    status: 'removed',
    votesNeeded,
    signers: await currentSigners(network),
    headAfter,
  }
}
