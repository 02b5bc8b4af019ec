import {mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {useMedrecChain} from '../../src/contracts/testing/test-context.js'
import {consortiumNetwork, consortiumTestChainId} from '../../src/consortium/testing/consortium-network.js'
import {runMedrec} from '../helpers/run-medrec.js'

// These run the built CLI as a separate process; none of them needs Docker.
describe('medrec on bad input', () => {
  it('reports every problem in medrec.yaml at once, before contacting Docker, \
with exit 1 and a stable --json shape', async () => {
    // Given a medrec.yaml with four problems, and no Docker engine at all
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    await writeFile(
      join(dir, 'medrec.yaml'),
      'version: 1\nnetwork:\n  name: Bad_Name\n  chainId: 31337\n  period: 1\n  gasLimit: 30000000\n' +
        'rpc:\n  port: 8545\nsealers: []\nextra: true\n',
    )
    // When up runs
    const result = await runMedrec(['network', 'up', '--dir', dir, '--json'], {env: {DOCKER_HOST: 'tcp://127.0.0.1:1'}})
    // Then the config problems are reported, all of them, in the stable error shape
    expect(result.exitCode).toBe(1)
    expect(result.json).toEqual({
      error: {
        code: 'MEDREC_CONFIG_INVALID',
        message: expect.stringContaining('has 4 problems'),
        hint: expect.any(String),
        details: expect.arrayContaining([
          expect.stringMatching(/^network\.name: /),
          expect.stringMatching(/^network\.chainId: .*Hardhat/),
        ]),
      },
    })
    expect(result.json.error.details).toHaveLength(4)
  })

  it('names each invalid field of medrec.yaml', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    await writeFile(
      join(dir, 'medrec.yaml'),
      'version: 1\nnetwork:\n  name: Bad_Name\n  chainId: 31337\n  period: 1\n  gasLimit: 30000000\n' +
        'rpc:\n  port: 8545\nsealers: []\nextra: true\n',
    )
    await writeFile(join(dir, 'genesis.json'), '{}')
    const result = await runMedrec(['network', 'logs', '--dir', dir])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('Error [MEDREC_CONFIG_INVALID]')
    for (const path of [
      '(top level): unknown key "extra"',
      'network.name:',
      'network.chainId:',
      'sealers: needs at least one sealer',
    ]) {
      expect(result.stderr).toContain(`  - ${path}`)
    }
    expect(result.stdout).toBe('')
  })

  it('refuses a file that is not YAML, naming the line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    await writeFile(join(dir, 'medrec.yaml'), 'version: 1\nnetwork: {name: x\n')
    const result = await runMedrec(['network', 'logs', '--dir', dir])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/Error \[MEDREC_CONFIG_NOT_YAML\][\s\S]*line \d+/)
  })

  it('says how to start when there is no network in the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const result = await runMedrec(['network', 'logs', '--dir', dir, 'sealer-1'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('MEDREC_CONFIG_NOT_FOUND')
    expect(result.stderr).toContain('medrec network init')
  })

  it('treats an unknown flag as a usage error (exit 2) and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const result = await runMedrec(['network', 'init', '--dir', dir, '--sealer-count', '3', '--json'])
    expect(result.exitCode).toBe(2)
    expect(result.json.error).toMatchObject({code: 'MEDREC_USAGE', message: expect.stringContaining('--sealer-count')})
    expect(await readdir(dir)).toEqual([])
  })

  it('refuses a well-known chain id at init, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const result = await runMedrec(['network', 'init', '--dir', dir, '--chain-id', '1', '--json'])
    expect(result.exitCode).toBe(1)
    expect(result.json.error).toMatchObject({
      code: 'MEDREC_INVALID_ARGUMENT',
      details: [expect.stringContaining('Ethereum mainnet')],
    })
    expect(await readdir(dir)).toEqual([])
  })

  it('refuses an empty file path rather than take the working directory for it, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const result = await runMedrec(['member', 'card', '--out', '', '--dir', dir, '--json'])
    expect(result.exitCode).toBe(1)
    expect(result.json.error).toEqual({
      code: 'MEDREC_INVALID_ARGUMENT',
      message: '--out is empty.',
      hint: 'Give --out the path of a file.',
      details: [],
    })
    expect(await readdir(dir)).toEqual([])
  })

  it('initialises a network and prints its result as JSON on stdout only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const result = await runMedrec(['network', 'init', '--dir', dir, '--sealers', '2', '--light-kdf', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.json).toMatchObject({
      dir,
      chainId: expect.any(Number),
      kdf: 'light',
      sealers: [{name: 'sealer-1'}, {name: 'sealer-2'}],
    })
    expect(result.stdout).not.toMatch(/password/i)
  })
})

describe('contract commands on bad input', () => {
  it('says to deploy the contracts first when a network has none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    const result = await runMedrec(['registrar', 'show', '--local-id', 'MRN-1', '--dir', dir, '--json'])
    expect(result.exitCode).toBe(1)
    expect(result.json.error).toMatchObject({
      code: 'MEDREC_CONTRACTS_NOT_DEPLOYED',
      hint: expect.stringContaining('medrec contracts deploy'),
    })
  })

  it.each([
    [
      [
        'relationship',
        'grant',
        '0x0000000000000000000000000000000000000001',
        '--viewer',
        'x',
        '--as',
        'y',
        '--expires-in',
        'forever',
      ],
      /^--expires-in "forever" is not a duration\.$/,
    ],
    [
      [
        'relationship',
        'grant',
        '0x0000000000000000000000000000000000000001',
        '--viewer',
        'x',
        '--as',
        'y',
        '--scope',
        'Observations',
      ],
      /^--scope names resource types MedRec has no scope for: Observations\.$/,
    ],
    [['account', 'create', 'Bad Name'], /not a valid account name/],
    [['account', 'create', 'carol', '--fund', '-1'], /--fund cannot be negative/],
    [
      [
        'relationship',
        'grant',
        '0x0000000000000000000000000000000000000001',
        '--viewer',
        'x',
        '--as',
        'y',
        '--expires-in',
        '100000000d',
      ],
      /^--expires-in 100000000d is outside 1 minute to 10 years\.$/,
    ],
    [
      [
        'relationship',
        'grant',
        '0x0000000000000000000000000000000000000001',
        '--viewer',
        'x',
        '--as',
        'y',
        '--scope',
        '0',
      ],
      /^--scope "0" is not a scope\.$/,
    ],
    [
      [
        'relationship',
        'propose',
        '--patient-local-id',
        'MRN-1',
        '--endpoint',
        'https://gk.example/records?mrn=0042',
        '--as',
        'y',
      ],
      /may not contain a user name, password, query or fragment/,
    ],
    [
      ['relationship', 'propose', '--patient-local-id', 'MRN-1', '--endpoint', 'ftp://gk.example', '--as', 'y'],
      /must be an http\(s\) URL/,
    ],
    [['provider', 'add', 'St Anne'], /"St Anne" is not a valid provider name/],
    [
      ['gatekeeper', 'start', '--provider', 'mercy', '--store', 'postgres'],
      /needs the database URL in the environment variable MEDREC_POSTGRES_URL/,
    ],
    [
      ['patient', 'records', '--as', 'alice', '--types', 'observation'],
      /--types "observation" is not a list of FHIR resource types/,
    ],
    [
      ['gatekeeper', 'import', 'no-such-bundle.json', '--provider', 'mercy', '--local-id', 'MRN-1'],
      /no-such-bundle\.json/,
    ],
  ])('refuses %j with a clear message', async (args, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    const result = await runMedrec([...args, '--dir', dir, '--json'])
    expect(result.exitCode).toBe(1)
    expect(result.json.error.message).toMatch(message)
  })

  it('compiles the contracts into artifacts and ABI modules, with no PUSH0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const result = await runMedrec(['contracts', 'compile', '--dir', dir, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(Object.keys(result.json.contracts).sort()).toEqual([
      'AuditAnchors',
      'Consortium',
      'Registrar',
      'Relationship',
      'Summary',
    ])
    expect(result.json.files).toEqual(
      expect.arrayContaining([join(dir, 'artifacts', 'Registrar.json'), join(dir, 'artifacts', 'abi', 'registrar.ts')]),
    )
    expect(await readdir(join(dir, 'artifacts'))).toEqual(
      expect.arrayContaining(['Registrar.json', 'Relationship.json', 'Summary.json', 'abi']),
    )
  })
})

describe('provider and gatekeeper commands on bad input', () => {
  it('says to deploy the contracts (and so the Consortium) before providers can be voted in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    for (const args of [
      ['provider', 'add', 'st-anne', '--sealer'],
      ['provider', 'list'],
      ['provider', 'approve', 'st-anne', '--as', 'sealer-1'],
    ]) {
      const result = await runMedrec([...args, '--dir', dir, '--json'])
      expect(result.exitCode).toBe(1)
      expect(result.json.error).toMatchObject({
        code: 'MEDREC_CONTRACTS_NOT_DEPLOYED',
        hint: expect.stringContaining('medrec contracts deploy'),
      })
    }
  })

  it('refuses a FHIR file with every problem listed by path, and stores nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    const file = join(dir, 'bundle.json')
    await writeFile(
      file,
      JSON.stringify({
        resourceType: 'Bundle',
        entry: [
          {resource: {resourceType: 'Observation', id: 'ok-1'}},
          {resource: {resourceType: 'observation', id: 'bad id!'}},
        ],
      }),
    )
    const result = await runMedrec([
      'gatekeeper',
      'import',
      file,
      '--provider',
      'mercy',
      '--local-id',
      'MRN-1',
      '--dir',
      dir,
      '--json',
    ])
    expect(result.exitCode).toBe(1)
    expect(result.json.error.code).toBe('MEDREC_FHIR_INVALID')
    expect(result.json.error.details).toEqual(
      expect.arrayContaining([
        expect.stringContaining('entry[1].resource.resourceType'),
        expect.stringContaining('entry[1].resource.id'),
      ]),
    )
    await writeFile(file, '{"resourceType": "Bundle", "entry": [')
    const notJson = await runMedrec([
      'gatekeeper',
      'import',
      file,
      '--provider',
      'mercy',
      '--local-id',
      'MRN-1',
      '--dir',
      dir,
      '--json',
    ])
    expect(notJson.json.error).toMatchObject({code: 'MEDREC_FHIR_NOT_JSON', message: expect.stringMatching(/line 1/)})
  })

  it('reports the first broken line of a tampered audit log and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    const {openAuditLog} = await import('../../src/gatekeeper/audit-log.js')
    const path = join(dir, 'audit.log')
    const keyFile = join(dir, 'audit-mac.key')
    await writeFile(keyFile, `${'ab'.repeat(32)}\n`, {mode: 0o600})
    const log = await openAuditLog(path, {macKey: Buffer.from('ab'.repeat(32), 'hex')})
    for (const outcome of ['allowed', 'denied', 'allowed'] as const) {
      await log.append({
        time: new Date().toISOString(),
        requester: null,
        relationship: null,
        action: 'records.read',
        outcome,
        reason: outcome === 'allowed' ? 'ok' : 'not-permitted',
        block: null,
        nonce: null,
        signatureHash: null,
      })
    }
    await log.close()
    const good = await runMedrec(['gatekeeper', 'audit', 'verify', '--file', path, '--key-file', keyFile, '--json'])
    expect(good.json).toMatchObject({ok: true, entries: 3, macChecked: true})
    const keyless = await runMedrec(['gatekeeper', 'audit', 'verify', '--file', path, '--json'])
    expect(keyless.exitCode).toBe(1)
    expect(keyless.json.error).toMatchObject({
      code: 'MEDREC_INVALID_ARGUMENT',
      message: expect.stringContaining('--key-file'),
    })
    const {readFile} = await import('node:fs/promises')
    await writeFile(path, (await readFile(path, 'utf8')).replace('"denied"', '"allowed"'))
    const bad = await runMedrec(['gatekeeper', 'audit', 'verify', '--file', path, '--key-file', keyFile, '--json'])
    expect(bad.exitCode).toBe(1)
    expect(bad.json.error).toMatchObject({code: 'MEDREC_AUDIT_LOG_CORRUPT', message: expect.stringContaining('line 2')})
  })
})

describe('recovery commands on bad input', () => {
  const address = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`
  const nineGuardians = Array.from({length: 9}, (_, i) => ['--guardian', `guardian-${i + 1}`]).flat()

  // Each is refused from the flags alone: the directory has no contracts, so any answer but
  // MEDREC_INVALID_ARGUMENT (e.g. MEDREC_CONTRACTS_NOT_DEPLOYED) would mean the chain was reached.
  it.each([
    [
      ['setup', '--guardian', 'bob', '--guardian', 'carol', '--threshold', '3'],
      /--threshold 3 is not from 1 to the 2 guardians/,
    ],
    [['setup', ...nineGuardians, '--threshold', '5'], /9 guardians named; at most 8/],
    [['setup', '--guardian', 'bob', '--threshold', '1', '--delay', '12h'], /--delay 12h is outside 1 day to 90 days/],
    [['setup', '--guardian', 'bob', '--threshold', '1', '--delay', '91d'], /--delay 91d is outside 1 day to 90 days/],
    [['setup', '--guardian', 'bob', '--threshold', '1', '--delay', 'soon'], /^--delay "soon" is not a duration\.$/],
    [
      ['setup', '--guardian', 'bob', '--guardian', '0x12345', '--threshold', '1'],
      /--guardian "0x12345" is not an address/,
    ],
    // EIP-55's own example address with one letter's case flipped (…69EE7 → …69Ee7)
    [['setup', '--guardian', '0x52908400098527886E0F7030069857D2E4169Ee7', '--threshold', '1'], /EIP-55 checksum/],
    [['setup', '--guardian', address(0), '--threshold', '1'], /--guardian cannot be the zero address/],
    [['setup', '--guardian', 'bob', '--guardian', 'bob', '--threshold', '1'], /--guardian bob is named twice/],
    [['setup', '--guardian', 'bob'], /--threshold is needed/],
    [['setup'], /Nothing to set up/],
    [['approve', `0x${'ab'.repeat(32)}`, '0xnot-an-address'], /NEW_ACCOUNT "0xnot-an-address" is not an address/],
    [['approve', '0x1234', address(7)], /PATIENT "0x1234" is neither a 32-byte identity/],
    [['complete', 'Not A Key'], /PATIENT "Not A Key" is neither a 0x address nor a key name/],
  ])('refuses recovery %j before reading the chain, with exit 1', async (args, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    const result = await runMedrec(['recovery', ...args, '--as', 'alice', '--dir', dir, '--json'])
    expect(result.exitCode, result.stdout).toBe(1)
    expect(result.json.error).toMatchObject({code: 'MEDREC_INVALID_ARGUMENT', message: expect.stringMatching(message)})
  })

  it('treats conflicting or malformed recovery flags as usage errors (exit 2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    for (const args of [
      ['setup', '--remove-guardians', '--guardian', 'bob'],
      ['setup', '--consortium', 'maybe'],
      ['setup', '--guardian', 'bob', '--threshold', 'two'],
      ['approve', `0x${'ab'.repeat(32)}`],
    ]) {
      const result = await runMedrec(['recovery', ...args, '--as', 'alice', '--dir', dir, '--json'])
      expect(result.exitCode, `${args.join(' ')}: ${result.stdout}`).toBe(2)
      expect(result.json.error.code).toBe('MEDREC_USAGE')
    }
  })
})

describe('consortium commands on bad input', () => {
  const someone = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4'
  const steward = (who: string, to: string, as: string) => [
    'consortium',
    'recover-steward',
    who,
    '--to',
    to,
    '--as',
    as,
  ]
  const patient = (flags: string[], as = 'sealer-1') => [
    'consortium',
    'recover-patient',
    ...flags,
    '--to',
    someone,
    '--as',
    as,
  ]
  const handover = (next: string, as = 'sealer-1') => ['consortium', 'transfer-governance', next, '--as', as]

  it('refuses malformed addresses and missing flags before reading the chain, and says to deploy first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-cli-'))
    expect((await runMedrec(['network', 'init', '--dir', dir, '--sealers', '1', '--light-kdf'])).exitCode).toBe(0)
    const keys = await readdir(join(dir, '.medrec', 'keys'))
    const cases: [string[], RegExp][] = [
      [steward('clinic', '0x1234', 'sealer-1'), /--to "0x1234" is not an address/],
      [steward('clinic', 'Not A Key', 'sealer-1'), /--to "Not A Key" is neither a 0x address nor a key name/],
      [steward('St Anne', someone, 'sealer-1'), /"St Anne" is not a valid provider name/],
      [patient(['--id', '0x1234']), /--id "0x1234" is not 32 bytes/],
      [patient(['--local-id', 'MRN-1']), /--local-id names it only at its provider/],
      [handover('0xnot-an-address'), /is not an address/],
      [handover('sealer-1'), /must be the successor contract's address/],
    ]
    for (const [args, message] of cases) {
      const result = await runMedrec([...args, '--dir', dir, '--json'])
      expect(result.exitCode, args.join(' ')).toBe(1)
      expect(result.json.error).toMatchObject({
        code: 'MEDREC_INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      })
    }
    const noTo = ['consortium', 'recover-steward', 'clinic', '--as', 'sealer-1']
    const missing = await runMedrec([...noTo, '--dir', dir, '--json'])
    expect(missing.exitCode).toBe(2)
    expect(missing.json.error).toMatchObject({
      code: 'MEDREC_USAGE',
      message: expect.stringMatching(/Missing required flag to/),
    })
    for (const args of [['consortium', 'proposals'], handover(someone)]) {
      const result = await runMedrec([...args, '--dir', dir, '--json'])
      expect(result.exitCode).toBe(1)
      expect(result.json.error).toMatchObject({
        code: 'MEDREC_CONTRACTS_NOT_DEPLOYED',
        hint: expect.stringContaining('medrec contracts deploy'),
      })
    }
    expect(await readdir(join(dir, '.medrec', 'keys'))).toEqual(keys)
  })

  describe('on a deployed consortium', () => {
    const ctx = useMedrecChain({chainId: consortiumTestChainId})

    it('refuses unknown providers, voters and patients with a stable code, sending and creating nothing', async () => {
      // Given a network directory whose consortium of three governs the Registrar (on anvil)
      const net = await consortiumNetwork(ctx.chain(), ctx.compiled().artifacts)
      await net.newKey('outsider')
      const head = await net.head()
      const keys = await readdir(join(net.dir, '.medrec', 'keys'))
      const state = await readFile(join(net.dir, '.medrec', 'state.json'), 'utf8')
      const nobody = `0x${'ab'.repeat(32)}`
      const cases: [string[], string, RegExp][] = [
        [steward('no-such-provider', someone, 'sealer-1'), 'MEDREC_INVALID_ARGUMENT', /no-such-provider/],
        [steward('sealer-3', someone, 'no-such-provider'), 'MEDREC_INVALID_ARGUMENT', /--as "no-such-provider"/],
        [steward('sealer-3', 'no-such-key', 'sealer-1'), 'MEDREC_INVALID_ARGUMENT', /--to "no-such-key"/],
        [steward('sealer-3', someone, 'outsider'), 'MEDREC_NOT_CONSORTIUM_MEMBER', /outsider/],
        [steward('sealer-3', someone, 'sealer-1'), 'MEDREC_SEALING_MEMBER_NEEDS_READMISSION', /sealer-3/],
        [patient(['--id', nobody]), 'MEDREC_INVALID_ARGUMENT', /No patient/],
        [
          patient(['--local-id', 'MRN-1', '--provider', 'no-such-provider']),
          'MEDREC_INVALID_ARGUMENT',
          /no-such-provider/,
        ],
        [handover(someone), 'MEDREC_INVALID_ARGUMENT', /no contract code/],
        [handover(net.registrar, 'no-such-provider'), 'MEDREC_INVALID_ARGUMENT', /--as "no-such-provider"/],
      ]
      for (const [args, code, message] of cases) {
        const result = await runMedrec([...args, '--dir', net.dir, '--json'])
        expect(result.exitCode, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(1)
        expect(result.json.error).toMatchObject({code, message: expect.stringMatching(message)})
      }
      // Then nothing was sent, and no key or state was written
      expect(await net.head()).toBe(head)
      expect(await readdir(join(net.dir, '.medrec', 'keys'))).toEqual(keys)
      expect(await readFile(join(net.dir, '.medrec', 'state.json'), 'utf8')).toBe(state)
      // And the proposals view shows none
      const proposals = await runMedrec(['consortium', 'proposals', '--dir', net.dir, '--json'])
      expect(proposals.exitCode, proposals.stderr).toBe(0)
      expect(proposals.json).toEqual({consortium: net.consortium, members: 3, threshold: 2, proposals: []})
    })
  })
})

describe('provider votes in a member workspace on bad input', () => {
  it('refuses the flag that names keys of a network workspace, before touching Docker or the chain', async () => {
    // Given a member workspace, and no Docker engine at all
    const dir = await mkdtemp(join(tmpdir(), 'medrec-member-'))
    const noDocker = {env: {DOCKER_HOST: 'tcp://127.0.0.1:1'}}
    const init = ['member', 'init', 'st-anne', '--advertise', '10.0.0.1', '--light-kdf', '--dir', dir, '--json']
    expect((await runMedrec(init, noDocker)).exitCode).toBe(0)
    // When a vote names keys the way a network workspace does, then each command refuses that flag by its name
    for (const [command, flag] of [
      ['approve', '--as'],
      ['remove', '--vote-as'],
      ['withdraw', '--as'],
    ] as const) {
      const result = await runMedrec(['provider', command, 'mercy', flag, 'sealer-1', '--dir', dir, '--json'], noDocker)
      expect(result.exitCode).toBe(1)
      expect(result.json.error).toMatchObject({
        code: 'MEDREC_INVALID_ARGUMENT',
        message: `${flag} is for network workspaces only.`,
        hint: expect.stringContaining(`leave out ${flag}`),
      })
    }
  })
})
