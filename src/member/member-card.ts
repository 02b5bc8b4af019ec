import type {Hex} from 'viem'

import {canonicalJson} from '../encoding/canonical-json.js'
import {pathExists, readKeyFile, writeFileAtomically} from '../workspace/network-files.js'
import {loadMember, unlockMemberKey, type LoadedMember} from './load-member.js'
import {assertWritableFile} from './member-files.js'
import {buildNodeCard, nodeCardFiles, type NodeCard} from './node-card.js'

/** True when a card says what this workspace is now: its name, keys and advertised address. */
export function cardDescribesMember(card: NodeCard, member: LoadedMember): boolean {
  return (
    card.name === member.config.name &&
    card.signer === member.signer &&
    card.enode === member.enode &&
    card.host === member.config.advertise.host &&
    card.port === member.config.advertise.port
  )
}

/**
 * This member's card: the one in NAME.card.json when it still describes the workspace (so the
 * card the others hold stays the same), else a freshly signed one, not yet written (`fresh`).
 */
export async function currentMemberCard(
  member: LoadedMember,
  options: {privateKey: () => Promise<Hex>; now?: Date},
): Promise<{card: NodeCard; fresh: boolean}> {
  const file = member.paths.cardFile(member.config.name)
  if (await pathExists(file)) {
    const existing = await nodeCardFiles.read(file).catch(() => undefined)
    if (existing && cardDescribesMember(existing, member)) return {card: existing, fresh: false}
  }
  const card = await buildNodeCard({
    name: member.config.name,
    privateKey: await options.privateKey(),
    nodeKey: await readKeyFile(member.paths.node(member.config.name).nodeKey, member.config.name),
    host: member.config.advertise.host,
    port: member.config.advertise.port,
    issuedAt: options.now ?? new Date(),
  })
  return {card, fresh: true}
}

/** Writes this member's card to NAME.card.json (public: it is meant to be sent around). */
export async function writeMemberCard(member: LoadedMember, card: NodeCard): Promise<string> {
  const file = member.paths.cardFile(member.config.name)
  await writeFileAtomically(file, nodeCardFiles.render(card))
  return file
}

/** True when two cards are the same card (same fields, same signature). */
export function sameNodeCard(a: NodeCard, b: NodeCard): boolean {
  return canonicalJson(a) === canonicalJson(b)
}

export type ShowMemberCardResult = {
  file: string
  /** True when the card was (re)signed now: new keys or a changed advertised address. */
  written: boolean
  out?: string
  card: NodeCard
}

/**
 * This member's card, re-signed and rewritten only when medrec-member.yaml or the keys no longer
 * match it; also written to `out` when given.
 */
export async function showMemberCard(options: {dir: string; out?: string; now?: Date}): Promise<ShowMemberCardResult> {
  const member = await loadMember(options.dir)
  if (options.out) await assertWritableFile(options.out)
  const {card, fresh} = await currentMemberCard(member, {privateKey: () => unlockMemberKey(member), now: options.now})
  const file = fresh ? await writeMemberCard(member, card) : member.paths.cardFile(member.config.name)
  if (options.out) await writeFileAtomically(options.out, nodeCardFiles.render(card))
  return {file, written: fresh, ...(options.out ? {out: options.out} : {}), card}
}
