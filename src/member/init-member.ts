import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'

import type {Address} from 'viem'
import {stringify} from 'yaml'

import {parseMemberConfig} from '../config/load-member-config.js'
import {
  memberConfigFileName,
  memberConfigJsonSchema,
  memberConfigSchema,
  memberConfigSchemaFileName,
  memberConfigVersion,
} from '../config/member-config.js'
import {assertWorkspaceKind} from '../config/workspace-kind.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {ensureStateDir, pathExists} from '../workspace/network-files.js'
import {ensureNodeKeys, rpcNodeName} from '../workspace/network-keys.js'
import {loadMember, unlockMemberKey} from './load-member.js'
import {currentMemberCard, writeMemberCard} from './member-card.js'
import {memberPaths} from './member-files.js'
import {newMemberState, updateMemberState} from './member-state.js'

export type InitMemberOptions = {
  dir: string
  name: string
  advertise: {host: string; port?: number}
  rpc?: {enabled?: boolean; host?: string; port?: number}
  /** Light scrypt (geth's LightScryptN) for throwaway chains; much faster, much weaker. */
  lightKdf?: boolean
  /** Rewrite medrec-member.yaml (and the card) for the same member. Keys are always kept. */
  force?: boolean
  now?: Date
}

export type InitMemberResult = {
  dir: string
  name: string
  signer: Address
  enode: string
  advertise: {host: string; port: number}
  configFile: string
  cardFile: string
  keyCreated: boolean
  kdf: 'standard' | 'light'
}

/** Key folders of the tool's own in a member workspace: its RPC node's and the consortium's identity key. */
const ownKeyFolders = new Set([rpcNodeName, 'identity'])

/**
 * Makes one provider's member workspace in `dir`: its signer keystore and password, its node
 * key (and its RPC node's), medrec-member.yaml and its JSON Schema, its state, and its signed
 * card NAME.card.json. Everything is checked before anything is written; a key is never overwritten.
 */
export async function initMember(options: InitMemberOptions): Promise<InitMemberResult> {
  const {dir, name} = options
  await assertWorkspaceKind(dir, 'member')
  const paths = memberPaths(dir)
  const draft = {
    version: memberConfigVersion,
    name,
    advertise: {host: options.advertise.host, port: options.advertise.port ?? 30_303},
    rpc: {
      enabled: options.rpc?.enabled ?? true,
      host: options.rpc?.host ?? '127.0.0.1',
      port: options.rpc?.port ?? 8545,
    },
  }
  const checked = memberConfigSchema.safeParse(draft)
  if (!checked.success) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The options given would make an invalid member workspace.', {
      details: describeIssues(checked.error),
      hint: 'Correct the arguments and flags named.',
    })
  }

  if (await pathExists(paths.configFile)) {
    const existing = parseMemberConfig(await readFile(paths.configFile, 'utf8'), paths.configFile)
    if (!options.force) {
      throw new MedrecError(errorCodes.CONFIG_EXISTS, `${paths.configFile} already exists (member ${existing.name}).`, {
        hint:
          'Use it as it is (`medrec member card` prints its card), or pass --force to rewrite medrec-member.yaml ' +
          'and the card; existing keys are kept either way.',
      })
    }
    if (existing.name !== name) {
      throw new MedrecError(
        errorCodes.CONFIG_EXISTS,
        `${dir} is the workspace of member ${existing.name}, not ${name}.`,
        {
          hint: `A member workspace holds one provider's keys. Make ${name}'s in a new, empty directory.`,
        },
      )
    }
  }
  const otherMembers = (await pathExists(paths.keysDir))
    ? (await readdir(paths.keysDir, {withFileTypes: true}))
        .filter((e) => e.isDirectory() && e.name !== name && !ownKeyFolders.has(e.name))
        .map((e) => e.name)
    : []
  if (otherMembers.length > 0) {
    throw new MedrecError(
      errorCodes.CONFIG_EXISTS,
      `${paths.keysDir} already holds keys of ${otherMembers.join(', ')}; a member workspace holds one \
provider's keys.`,
      {hint: `Make ${name}'s workspace in a new, empty directory.`},
    )
  }

  const lightKdf = options.lightKdf ?? false
  await mkdir(dir, {recursive: true})
  await ensureStateDir(paths)
  const {created} = await ensureNodeKeys(paths, name, {account: true, lightKdf})
  if (checked.data.rpc.enabled) await ensureNodeKeys(paths, rpcNodeName, {account: false, lightKdf})
  await writeFile(paths.configSchemaFile, `${JSON.stringify(memberConfigJsonSchema(), null, 2)}\n`)
  await writeFile(paths.configFile, renderMemberConfigYaml(draft))
  await updateMemberState(paths, (current) => (current ? undefined : newMemberState()))

  const member = await loadMember(dir)
  const {card, fresh} = await currentMemberCard(member, {privateKey: () => unlockMemberKey(member), now: options.now})
  const cardFile = fresh ? await writeMemberCard(member, card) : paths.cardFile(name)
  return {
    dir,
    name,
    signer: member.signer,
    enode: member.enode,
    advertise: {host: card.host, port: card.port},
    configFile: paths.configFile,
    cardFile,
    keyCreated: created,
    kdf: lightKdf ? 'light' : 'standard',
  }
}

function renderMemberConfigYaml(config: unknown): string {
  return [
    `# yaml-language-server: $schema=./${memberConfigSchemaFileName}`,
    `# One provider's part of a MedRec consortium (${memberConfigFileName}). Its keys are in .medrec/keys`,
    '# (never commit them, never send them anywhere). After changing `advertise`, run `medrec member card`',
    '# and give the new card to the consortium.',
    stringify(config, {lineWidth: 0}),
  ].join('\n')
}
