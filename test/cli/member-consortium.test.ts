import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {generateNodeKey} from '../../src/keys/node-key.js'
import {genesisDigest, signBundle, type ConsortiumBundle} from '../../src/member/consortium-bundle.js'
import {foundConsortium} from '../../src/member/found-consortium.js'
import {initMember} from '../../src/member/init-member.js'
import {buildNodeCard, nodeCardTypedData, type NodeCard} from '../../src/member/node-card.js'
import {readAllFiles, snapshotDir} from '../../src/member/testing/dir-snapshot.js'
import {assertNoForeignSecrets} from '../helpers/member-secrets.js'
import {networkPaths, unlockNodeKey} from '../../src/workspace/network-files.js'
import {runMedrec} from '../helpers/run-medrec.js'

// These run the built CLI as a separate process; none of them needs Docker. Workspaces a test
// only needs as a setting are made through the services (faster); the command under test runs as a user runs it.

let nextPort = 31_000
async function memberWorkspace(root: string, name: string): Promise<{dir: string; cardFile: string}> {
  const dir = join(root, name)
  const {cardFile} = await initMember({dir, name, advertise: {host: '10.231.9.1', port: nextPort++}, lightKdf: true})
  return {dir, cardFile}
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}

/** Runs a command that must be refused: exit 1, the error code under --json, and nothing in `watched` changed. */
async function expectRefused(args: string[], code: string, watched: string[]) {
  const before = await Promise.all(watched.map(snapshotDir))
  const result = await runMedrec([...args, '--json'])
  expect(result.exitCode, result.stdout + result.stderr).toBe(1)
  expect(result.json.error.code).toBe(code)
  expect(result.json.error.hint).toEqual(expect.any(String))
  expect(await Promise.all(watched.map(snapshotDir))).toEqual(before)
  return result.json.error as {code: string; message: string; hint: string; details: string[]}
}

describe('medrec member', () => {
  it('up refuses a workspace that holds no consortium bundle yet: nothing written, no engine asked', async () => {
    // Given a provider's fresh workspace (not founded, no bundle imported) and no Docker engine at DOCKER_HOST
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-member-up-'))
    const {dir} = await memberWorkspace(root, 'lakeside')
    const before = await snapshotDir(dir)
    // When it runs member up
    const result = await runMedrec(['member', 'up', '--dir', dir, '--json'], {
      env: {DOCKER_HOST: `unix://${join(root, 'no-docker.sock')}`},
    })
    // Then it is refused with what to do next, before Docker is reached, and nothing changed
    expect(result.exitCode, result.stdout + result.stderr).toBe(1)
    expect(result.json.error.code).toBe('MEDREC_BUNDLE_MISSING')
    expect(result.json.error.hint).toContain('medrec consortium import')
    expect(await snapshotDir(dir)).toEqual(before)
  })

  it('init writes the keys, medrec-member.yaml and a card; card prints it as JSON without any secret', async () => {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-member-'))
    const dir = join(root, 'st-anne')
    const init = await runMedrec([
      'member',
      'init',
      'st-anne',
      '--advertise',
      'node.st-anne.example:30310',
      '--light-kdf',
      '--dir',
      dir,
      '--json',
    ])
    expect(init.exitCode, init.stderr).toBe(0)
    expect(init.json).toMatchObject({
      name: 'st-anne',
      signer: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
      advertise: {host: 'node.st-anne.example', port: 30_310},
      cardFile: join(dir, 'st-anne.card.json'),
      keyCreated: true,
      kdf: 'light',
    })
    const card = await runMedrec(['member', 'card', '--dir', dir, '--json'])
    expect(card.exitCode, card.stderr).toBe(0)
    expect(card.json).toMatchObject({written: false, card: {name: 'st-anne', signer: init.json.signer, port: 30_310}})
    const password = await readFile(join(dir, '.medrec/keys/st-anne/password'), 'utf8')
    expect(init.stdout + card.stdout).not.toContain(password.trim())
    // And init again is refused without touching anything
    await expectRefused(
      ['member', 'init', 'st-anne', '--advertise', '10.0.0.1', '--dir', dir],
      'MEDREC_CONFIG_EXISTS',
      [dir],
    )
  })

  it('init refuses a bad name and advertised address at once, and creates nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-member-'))
    const error = await expectRefused(
      ['member', 'init', 'St_Anne', '--advertise', 'http://x', '--dir', join(root, 'w')],
      'MEDREC_INVALID_ARGUMENT',
      [root],
    )
    expect(error.details).toEqual([expect.stringMatching(/^name: /), expect.stringMatching(/^advertise\.host: /)])
  })
})

describe('medrec consortium found on bad cards', () => {
  it('refuses a card changed after signing, naming the file, and writes nothing', async () => {
    // Given st-bart's card with its address changed by someone on the way
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-found-'))
    const anne = await memberWorkspace(root, 'st-anne')
    const bart = await memberWorkspace(root, 'st-bart')
    const tampered = {...(await readJson<NodeCard>(bart.cardFile)), host: '198.51.100.66'}
    const file = join(root, 'st-bart.card.json')
    await writeFile(file, JSON.stringify(tampered))
    // When st-anne founds with it, Then it is refused before anything is written
    const error = await expectRefused(
      ['consortium', 'found', '--name', 'carenet', '--card', file, '--dir', anne.dir],
      'MEDREC_CARD_SIGNATURE',
      [anne.dir],
    )
    expect(error.message).toContain(file)
    expect(error.message).toContain(`expected a signature by ${tampered.signer}`)
  })

  it('refuses a card signed by another key, saying which signer was expected and which was recovered', async () => {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-found-'))
    const anne = await memberWorkspace(root, 'st-anne')
    const bart = await memberWorkspace(root, 'st-bart')
    const {signature: _signature, ...fields} = await readJson<NodeCard>(bart.cardFile)
    const mallory = privateKeyToAccount(generatePrivateKey())
    const file = join(root, 'forged.card.json')
    await writeFile(
      file,
      JSON.stringify({...fields, signature: await mallory.signTypedData(nodeCardTypedData(fields))}),
    )
    const error = await expectRefused(
      ['consortium', 'found', '--name', 'carenet', '--card', file, '--dir', anne.dir],
      'MEDREC_CARD_SIGNATURE',
      [anne.dir],
    )
    expect(error.message).toBe(
      `${file} is not signed by its signer: expected a signature by ${fields.signer}, recovered ${mallory.address}.`,
    )
  })

  it('refuses a card given twice or another name twice, and a file that is no card', async () => {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-found-'))
    const anne = await memberWorkspace(root, 'st-anne')
    const bart = await memberWorkspace(root, 'st-bart')
    const copy = join(root, 'copy.card.json')
    await writeFile(copy, await readFile(bart.cardFile))
    const twice = await expectRefused(
      ['consortium', 'found', '--name', 'carenet', '--card', bart.cardFile, '--card', copy, '--dir', anne.dir],
      'MEDREC_CARD_DUPLICATE',
      [anne.dir],
    )
    expect(twice.details).toContainEqual(expect.stringContaining(`${copy}: the same signer as ${bart.cardFile}`))
    // Another provider that took st-anne's name
    const impostor = await memberWorkspace(join(root, 'elsewhere'), 'st-anne')
    await expectRefused(
      ['consortium', 'found', '--name', 'carenet', '--card', impostor.cardFile, '--dir', anne.dir],
      'MEDREC_CARD_DUPLICATE',
      [anne.dir],
    )
    const notCard = join(root, 'notes.json')
    await writeFile(notCard, '{"name": "st-bart"}')
    await expectRefused(
      ['consortium', 'found', '--name', 'carenet', '--card', notCard, '--dir', anne.dir],
      'MEDREC_CARD_INVALID',
      [anne.dir],
    )
    // A path with no file is a missing card, not an invalid one: a typo, not a forgery
    const missing = await expectRefused(
      ['consortium', 'found', '--name', 'carenet', '--card', join(root, 'st-bart.card.json'), '--dir', anne.dir],
      'MEDREC_CARD_MISSING',
      [anne.dir],
    )
    expect(missing.message).toBe(`There is no node card at ${join(root, 'st-bart.card.json')}.`)
  })
})

describe('medrec consortium import on bad bundles', () => {
  /** st-anne founds carenet with st-bart; st-bart imports it. */
  async function foundedPair() {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-import-'))
    const anne = await memberWorkspace(root, 'st-anne')
    const bart = await memberWorkspace(root, 'st-bart')
    const bundleFile = join(root, 'carenet.bundle.json')
    await foundConsortium({
      dir: anne.dir,
      name: 'carenet',
      cardFiles: [bart.cardFile],
      chainId: 4_242_100,
      out: bundleFile,
    })
    const imported = await runMedrec(['consortium', 'import', bundleFile, '--dir', bart.dir, '--json'])
    expect(imported.exitCode, imported.stdout).toBe(0)
    const bundle = await readJson<ConsortiumBundle>(bundleFile)
    const anneKey = (await unlockNodeKey(networkPaths(anne.dir), 'st-anne')).privateKey
    return {root, anne, bart, bundle, anneKey}
  }

  it('refuses a bundle of another chain', async () => {
    const {root, bart} = await foundedPair()
    const dora = await memberWorkspace(root, 'st-dora')
    const other = join(root, 'othernet.bundle.json')
    await foundConsortium({dir: dora.dir, name: 'othernet', cardFiles: [], chainId: 4_242_101, out: other})
    const error = await expectRefused(['consortium', 'import', other, '--dir', bart.dir], 'MEDREC_BUNDLE_OTHER_CHAIN', [
      bart.dir,
    ])
    expect(error.message).toContain('"othernet" (chain id 4242101)')
  })

  it('refuses a bundle whose genesis was edited, whether or not its exporter signed it again', async () => {
    const {root, bart, bundle, anneKey} = await foundedPair()
    // Edited on the way: the digest no longer matches
    const edited = structuredClone(bundle)
    edited.genesis.alloc[`${'ab'.repeat(20)}`] = {balance: '0x1'}
    const onTheWay = join(root, 'edited.bundle.json')
    await writeFile(onTheWay, JSON.stringify(edited))
    await expectRefused(['consortium', 'import', onTheWay, '--dir', bart.dir], 'MEDREC_BUNDLE_GENESIS_CHANGED', [
      bart.dir,
    ])
    // Edited by the founder itself, digest and signature redone, as a next revision
    const {signature: _signature, ...unsigned} = edited
    const resigned = await signBundle({...unsigned, revision: 2, genesisDigest: genesisDigest(edited.genesis)}, anneKey)
    const byFounder = join(root, 'resigned.bundle.json')
    await writeFile(byFounder, JSON.stringify(resigned))
    const error = await expectRefused(
      ['consortium', 'import', byFounder, '--dir', bart.dir],
      'MEDREC_BUNDLE_GENESIS_CHANGED',
      [bart.dir],
    )
    expect(error.message).toContain(bundle.genesisDigest)
  })

  it('refuses a bundle re-signed by a stranger, for a member and for a newcomer', async () => {
    const {root, bart, bundle} = await foundedPair()
    const strangerKey = generatePrivateKey()
    const stranger = privateKeyToAccount(strangerKey).address
    const {signature: _signature, ...unsigned} = bundle
    // A stranger's export of the bundle as it is
    const plain = join(root, 'stranger.bundle.json')
    await writeFile(
      plain,
      JSON.stringify(await signBundle({...unsigned, revision: 2, exportedBy: stranger}, strangerKey)),
    )
    const error = await expectRefused(
      ['consortium', 'import', plain, '--dir', bart.dir],
      'MEDREC_BUNDLE_SIGNER_NOT_MEMBER',
      [bart.dir],
    )
    expect(error.message).toContain(stranger)
    // A stranger who lists itself as a member, and a newcomer as joining, to be trusted by both
    const dora = await memberWorkspace(root, 'st-dora')
    const strangerCard = await buildNodeCard({
      name: 'mallory',
      privateKey: strangerKey,
      nodeKey: generateNodeKey(),
      host: '203.0.113.66',
      port: 30_303,
      issuedAt: new Date(),
    })
    const posing = await signBundle(
      {
        ...unsigned,
        revision: 2,
        members: [...unsigned.members, strangerCard],
        joining: [await readJson<NodeCard>(dora.cardFile)],
        secrets: {identityHmacKey: {...unsigned.secrets.identityHmacKey, [stranger]: 'AAAA'}},
        exportedBy: stranger,
      },
      strangerKey,
    )
    const posingFile = join(root, 'posing.bundle.json')
    await writeFile(posingFile, JSON.stringify(posing))
    for (const dir of [bart.dir, dora.dir])
      await expectRefused(['consortium', 'import', posingFile, '--dir', dir], 'MEDREC_BUNDLE_SIGNER_NOT_MEMBER', [dir])
  })
})

describe('a member workspace and a network workspace never share a directory', () => {
  it('refuses a member workspace to network commands, and writes nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-kind-'))
    const anne = await memberWorkspace(root, 'st-anne')
    for (const args of [
      ['network', 'init', '--light-kdf'],
      ['network', 'up'],
      ['account', 'list'],
      ['consortium', 'proposals'],
    ]) {
      const error = await expectRefused([...args, '--dir', anne.dir], 'MEDREC_WORKSPACE_IS_MEMBER', [anne.dir])
      expect(error.message).toContain(`\`medrec ${args.slice(0, 2).join(' ')}\``)
    }
  })

  it('refuses a network workspace to member and bundle commands, and writes nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-kind-'))
    const network = join(root, 'net')
    const init = await runMedrec(['network', 'init', '--sealers', '1', '--light-kdf', '--dir', network])
    expect(init.exitCode, init.stderr).toBe(0)
    const card = (await memberWorkspace(root, 'st-bart')).cardFile
    for (const args of [
      ['member', 'init', 'st-anne', '--advertise', '10.0.0.1'],
      ['member', 'card'],
      ['consortium', 'found', '--name', 'carenet', '--card', card],
      ['consortium', 'import', join(root, 'any.bundle.json')],
      ['consortium', 'export'],
    ]) {
      await expectRefused([...args, '--dir', network], 'MEDREC_WORKSPACE_IS_NETWORK', [network])
    }
  })
})

describe('provider approve and remove vote as the workspace at --dir votes', () => {
  it("refuse in a member workspace the flags that name a network workspace's keys, and write nothing", async () => {
    // Given a provider's member workspace
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-vote-'))
    const anne = await memberWorkspace(root, 'st-anne')
    for (const [args, flag] of [
      [['provider', 'approve', 'riverside', '--as', 'sealer-1'], '--as'],
      [['provider', 'remove', 'riverside', '--vote-as', 'sealer-1'], '--vote-as'],
    ] as const) {
      // When a vote is given --as (approve) or --vote-as (remove) there
      // Then it is refused before anything is read or voted, saying to leave the flag out
      const error = await expectRefused([...args, '--dir', anne.dir], 'MEDREC_INVALID_ARGUMENT', [anne.dir])
      expect(error.hint).toContain(`leave out ${flag}`)
    }
  })

  it("vote in a member workspace with the member's own chain: refused while it holds no bundle", async () => {
    // Given a provider's member workspace that has neither founded nor imported a consortium
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-vote-'))
    const anne = await memberWorkspace(root, 'st-anne')
    // When it approves or removes a provider
    for (const args of [
      ['provider', 'approve', 'riverside'],
      ['provider', 'remove', 'riverside', '--out', join(root, 'out.bundle.json')],
    ]) {
      // Then the member's vote is what is refused (not the workspace kind), and nothing is written
      await expectRefused([...args, '--dir', anne.dir], 'MEDREC_BUNDLE_MISSING', [anne.dir, root])
    }
  })

  it('take provider approve without --as in a network workspace as wrong usage (exit 2), writing nothing', async () => {
    // Given a network workspace
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-vote-'))
    const network = join(root, 'net')
    const init = await runMedrec(['network', 'init', '--sealers', '1', '--light-kdf', '--dir', network])
    expect(init.exitCode, init.stderr).toBe(0)
    const before = await snapshotDir(network)
    // When provider approve names no sealing provider to vote as
    const result = await runMedrec(['provider', 'approve', 'st-anne', '--dir', network, '--json'])
    // Then it is a usage error, as when oclif required --as, and nothing changed
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(result.json.error).toMatchObject({code: 'MEDREC_USAGE', message: 'Missing required flag as'})
    expect(await snapshotDir(network)).toEqual(before)
  })
})

describe("three providers founding from each other's cards", () => {
  it("never hold another provider's keys; no card or bundle holds a key, a password or the identity key", async () => {
    // Given three member workspaces made with the CLI, cards exchanged as files
    const root = await mkdtemp(join(tmpdir(), 'medrec-cli-secrets-'))
    const names = ['st-anne', 'st-bart', 'st-clare']
    const dirs = names.map((name) => join(root, name))
    for (const [i, name] of names.entries()) {
      const run = await runMedrec([
        'member',
        'init',
        name,
        '--advertise',
        `10.231.${i + 1}.2`,
        '--light-kdf',
        '--dir',
        dirs[i]!,
      ])
      expect(run.exitCode, run.stderr).toBe(0)
    }
    // When st-anne founds from the others' cards, and they import the bundle
    const bundleFile = join(root, 'carenet.bundle.json')
    const found = await runMedrec([
      'consortium',
      'found',
      '--name',
      'carenet',
      '--card',
      join(dirs[1]!, 'st-bart.card.json'),
      '--card',
      join(dirs[2]!, 'st-clare.card.json'),
      '--out',
      bundleFile,
      '--dir',
      dirs[0]!,
    ])
    expect(found.exitCode, found.stderr).toBe(0)
    for (const dir of dirs.slice(1)) {
      const run = await runMedrec(['consortium', 'import', bundleFile, '--dir', dir])
      expect(run.exitCode, run.stderr).toBe(0)
    }
    const exported = await runMedrec([
      'consortium',
      'export',
      '--out',
      join(root, 'rev2.bundle.json'),
      '--dir',
      dirs[2]!,
    ])
    expect(exported.exitCode, exported.stderr).toBe(0)

    const identityHex = (await readFile(join(dirs[0]!, '.medrec/keys/identity/hmac.key'), 'utf8')).trim()
    const identity = Buffer.from(identityHex, 'hex')
    for (const dir of dirs)
      expect((await readFile(join(dir, '.medrec/keys/identity/hmac.key'), 'utf8')).trim()).toBe(identityHex)
    const published = (await readAllFiles(root)).filter((f) => /\.(card|bundle)\.json$/.test(f.path))
    expect(published.length).toBe(3 + 3 + 2) // three cards, three stored bundles, two exported files
    // Then no workspace holds any byte of another provider's secrets (keystore, password, node key, private
    // key), and no card or bundle, anywhere, holds any provider's secret or the identity key
    await assertNoForeignSecrets(
      root,
      names.map((name, i) => ({name, dir: dirs[i]!})),
      [identityHex, identity.toString('base64'), identity],
    )
  })
})
