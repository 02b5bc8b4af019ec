import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {thrownRefusal} from '../errors/testing/refusal.js'
import {loadNetworkConfig, parseNetworkConfig} from './load-network-config.js'
import {networkConfigJsonSchema} from './network-config.js'

const valid = `
version: 1
network:
  name: consortium
  chainId: 4242424
  period: 2
  gasLimit: 30000000
image: ethereum/client-go:v1.13.15
rpc:
  port: 8545
sealers:
  - name: mercy
    address: "0x1000000000000000000000000000000000000001"
    p2pPort: 30303
  - name: st-anne
    address: "0x2000000000000000000000000000000000000002"
    p2pPort: 30304
`

function problemsOf(text: string): string[] {
  const error = thrownRefusal(() => parseNetworkConfig(text, 'medrec.yaml'))
  expect(error.code).toBe(errorCodes.CONFIG_INVALID)
  return error.details
}

describe('medrec.yaml', () => {
  it('accepts a valid file and fills in defaults', () => {
    const config = parseNetworkConfig(valid, 'medrec.yaml')
    expect(config.network.epoch).toBe(30_000)
    expect(config.rpc).toEqual({host: '127.0.0.1', port: 8545, vhosts: ['localhost', '127.0.0.1']})
    expect(config.sealers.map((s) => s.name)).toEqual(['mercy', 'st-anne'])
    expect(config.reconciler).toEqual({enabled: true})
  })

  it('turns the vote reconciler off with reconciler.enabled: false, and refuses anything else there', () => {
    expect(parseNetworkConfig(`${valid}reconciler:\n  enabled: false\n`, 'medrec.yaml').reconciler).toEqual({
      enabled: false,
    })
    expect(problemsOf(`${valid}reconciler:\n  enabled: "no"\n`)).toEqual([
      expect.stringMatching(/^reconciler\.enabled: /),
    ])
    expect(problemsOf(`${valid}reconciler:\n  every: 5\n`)).toEqual([expect.stringMatching(/^reconciler: /)])
  })

  it('reports every problem at once, each with its dotted path', () => {
    const text = valid
      .replace('chainId: 4242424', 'chainId: 1')
      .replace('period: 2', 'period: -1')
      .replace('p2pPort: 30304', 'p2pPort: "30304"')
      .replace('name: consortium', 'name: consortium\n  colour: blue')
    const problems = problemsOf(text)
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^network: unknown key "colour"/),
        expect.stringMatching(/^network\.period: /),
        expect.stringMatching(/^sealers\.1\.p2pPort: /),
      ]),
    )
    expect(problems).toHaveLength(3)
  })

  it('refuses a well-known chain id once the rest is valid, naming the network it belongs to', () => {
    expect(problemsOf(valid.replace('chainId: 4242424', 'chainId: 11155111'))).toEqual([
      expect.stringMatching(/^network\.chainId: .*Sepolia/),
    ])
  })

  it('refuses duplicate sealer names, addresses and ports', () => {
    const duplicated = valid
      .replace('name: st-anne', 'name: mercy')
      .replace('0x2000000000000000000000000000000000000002', '0x1000000000000000000000000000000000000001')
      .replace('p2pPort: 30304', 'p2pPort: 30303')
    expect(problemsOf(duplicated)).toEqual([
      expect.stringMatching(/^sealers\.1\.name: duplicate sealer name "mercy" \(also sealers\.0\.name\)/),
      expect.stringMatching(/^sealers\.1\.address: duplicate/),
      expect.stringMatching(/^sealers\.1\.p2pPort: duplicate/),
    ])
  })

  it('refuses zero sealers, period 0 with the reason, a missing chain id, and an unpinned image', () => {
    const text = valid
      .replace(/sealers:[\s\S]*$/, 'sealers: []\n')
      .replace('period: 2', 'period: 0')
      .replace('  chainId: 4242424\n', '')
      .replace('v1.13.15', 'latest')
    const problems = problemsOf(text)
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sealers: needs at least one sealer/),
        expect.stringMatching(/^network\.period: .*only when a transaction is waiting.*stalls.*RPC node cannot sync/),
        expect.stringMatching(/^network\.chainId: /),
      ]),
    )
  })

  it.each([['"*"'], ['"localhost,*"'], ['" *"'], ['"a b"']])(
    'refuses rpc.vhosts %s, which geth would read as a wildcard or a list',
    (vhost) => {
      expect(problemsOf(valid.replace('  port: 8545', `  port: 8545\n  vhosts: [${vhost}]`))).toEqual([
        expect.stringMatching(/^rpc\.vhosts\.0: .*without "\*"/),
      ])
    },
  )

  it.each(['rpc', 'deployer', 'identity', 'reconciler'])('refuses the reserved sealer name %s', (name) => {
    expect(problemsOf(valid.replace('name: st-anne', `name: ${name}`))).toEqual([
      expect.stringMatching(/^sealers\.1\.name: .*reserved/),
    ])
  })

  it('refuses an image of geth 1.14 with the reason', () => {
    expect(problemsOf(valid.replace('v1.13.15', 'v1.14.0'))).toEqual([
      expect.stringMatching(/^image: .*cannot seal Clique/),
    ])
  })

  it('refuses a file that is not YAML, with the line', () => {
    expect(() => parseNetworkConfig('network: [unclosed\n  name: x', 'medrec.yaml')).toThrow(
      expect.objectContaining({code: errorCodes.CONFIG_NOT_YAML}),
    )
  })

  it('says how to create the file when there is none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-config-'))
    await expect(loadNetworkConfig(dir)).rejects.toMatchObject({
      code: errorCodes.CONFIG_NOT_FOUND,
      hint: expect.stringContaining('medrec network init'),
    })
    await writeFile(join(dir, 'medrec.yaml'), valid)
    await expect(loadNetworkConfig(dir)).resolves.toMatchObject({network: {name: 'consortium'}})
  })

  it('has a JSON Schema that describes the sealers for editors', () => {
    const schema = networkConfigJsonSchema() as {properties: Record<string, {description?: string}>; required: string[]}
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['version', 'network', 'image', 'rpc', 'sealers']),
    )
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'network', 'sealers']))
    expect(schema.properties.sealers?.description).toMatch(/sealer/)
  })
})

describe('medrec.yaml profile', () => {
  it('is standard when absent, and accepts throwaway', () => {
    expect(parseNetworkConfig(valid, 'medrec.yaml').profile).toBe('standard')
    expect(parseNetworkConfig(`profile: throwaway\n${valid}`, 'medrec.yaml').profile).toBe('throwaway')
  })

  it('refuses any other profile, naming the field', () => {
    expect(problemsOf(`profile: disposable\n${valid}`)).toEqual([expect.stringMatching(/^profile: /)])
  })
})
