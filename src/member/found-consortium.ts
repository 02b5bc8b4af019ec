import {randomBytes} from 'node:crypto'

import type {Address, Hex} from 'viem'

import {pickChainId} from '../chain/well-known-chain-ids.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {pinnedGethImage} from '../geth/geth-version.js'
import {findIdentityKey} from '../workspace/identity-key.js'
import {pathExists, writeFileAtomically} from '../workspace/network-files.js'
import {acceptBundle} from './accept-bundle.js'
import {bundleFiles, signBundle, verifyBundle} from './consortium-bundle.js'
import {buildFoundingBundle, checkFoundingCards, checkFoundingNetwork, type FoundingCard} from './founding-bundle.js'
import {identityKeyBytes} from './identity-key-secret.js'
import {loadMember, unlockMemberKey} from './load-member.js'
import {currentMemberCard, sameNodeCard, writeMemberCard} from './member-card.js'
import {assertWritableFile} from './member-files.js'
import {nodeCardFiles} from './node-card.js'

export type FoundConsortiumOptions = {
  /** The convener's own member workspace. */
  dir: string
  /** The consortium's network name. */
  name: string
  /** The other founders' card files (the convener's own card is always included); none founds it alone. */
  cardFiles?: readonly string[]
  chainId?: number
  period?: number
  epoch?: number
  gasLimit?: number
  /** Also write the bundle here, to send to the other founders. */
  out?: string
  now?: Date
}

export type FoundConsortiumResult = {
  network: string
  chainId: number
  period: number
  epoch: number
  revision: number
  genesisDigest: Hex
  founders: {name: string; signer: Address; host: string; port: number; card: string}[]
  bundleFile: string
  out?: string
}

/**
 * Founds a consortium from the founders' cards, in the convener's member workspace: the
 * genesis (the founders' signers, each founder's account funded), a new identity key
 * encrypted to every founder, and the bundle signed by the convener, which the convener
 * then imports like any member. No founder's key leaves its own workspace; every card and
 * setting is checked before anything is written.
 */
export async function foundConsortium(options: FoundConsortiumOptions): Promise<FoundConsortiumResult> {
  const member = await loadMember(options.dir)
  if (options.out) await assertWritableFile(options.out)
  if ((await pathExists(member.paths.bundleFile)) || member.state.bundle) {
    throw new MedrecError(
      errorCodes.CONFIG_EXISTS,
      `${options.dir} already belongs to a consortium (${member.paths.bundleFile}).`,
      {
        hint:
          'A member workspace belongs to one consortium. To found another, make a new member workspace ' +
          '(`medrec member init` in a new directory).',
      },
    )
  }
  if (await findIdentityKey(member.paths)) {
    throw new MedrecError(errorCodes.CONFIG_EXISTS, `${options.dir} already holds an identity key.`, {
      hint: 'Found the consortium from a new member workspace, which holds no consortium secret yet.',
    })
  }
  const network = checkFoundingNetwork({
    name: options.name,
    chainId: options.chainId ?? pickChainId(),
    period: options.period ?? 5,
    epoch: options.epoch ?? 30_000,
    gasLimit: options.gasLimit ?? 30_000_000,
    image: pinnedGethImage,
  })

  let privateKey: Hex | undefined
  const unlock = async () => (privateKey ??= await unlockMemberKey(member))
  const own = await currentMemberCard(member, {privateKey: unlock, now: options.now})
  const ownFile = member.paths.cardFile(member.config.name)
  const founders: FoundingCard[] = [{card: own.card, source: `${ownFile} (yours)`}]
  for (const file of options.cardFiles ?? []) {
    const card = await nodeCardFiles.read(file)
    // The convener's own card among --card is the same founder, not a second one.
    if (!sameNodeCard(card, own.card)) founders.push({card, source: file})
  }
  checkFoundingCards(founders)

  const identityKey = randomBytes(identityKeyBytes)
  const now = options.now ?? new Date()
  const unsigned = await buildFoundingBundle({
    network,
    founders: founders.map((f) => f.card),
    identityKey,
    exportedBy: member.signer,
    exportedAt: now,
  })
  // Signed, then verified as any member will verify it, then taken in like any import.
  const signed = await signBundle(unsigned, await unlock())
  const bundle = await verifyBundle(JSON.parse(bundleFiles.render(signed)), 'the founding bundle')
  identityKey.fill(0)
  await acceptBundle(member, bundle, 'the founding bundle', {privateKey: await unlock(), now})
  if (own.fresh) await writeMemberCard(member, own.card)
  if (options.out) await writeFileAtomically(options.out, bundleFiles.render(bundle))
  return {
    network: network.name,
    chainId: network.chainId,
    period: network.period,
    epoch: network.epoch,
    revision: bundle.revision,
    genesisDigest: bundle.genesisDigest,
    founders: founders.map(({card, source}) => ({
      name: card.name,
      signer: card.signer,
      host: card.host,
      port: card.port,
      card: source,
    })),
    bundleFile: member.paths.bundleFile,
    ...(options.out ? {out: options.out} : {}),
  }
}
