import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {loadMemberConfig, parseMemberConfig} from './load-member-config.js'
import {isHostAddress, memberConfigJsonSchema, parseAdvertisedAddress} from './member-config.js'

describe('medrec-member.yaml', () => {
  it('fills in the defaults of a minimal file', () => {
    const config = parseMemberConfig('version: 1\nname: st-anne\nadvertise:\n  host: 10.0.0.5\n', 'm.yaml')
    expect(config).toEqual({
      version: 1,
      name: 'st-anne',
      advertise: {host: '10.0.0.5', port: 30_303},
      rpc: {enabled: true, host: '127.0.0.1', port: 8545},
    })
  })

  it('reports every problem at once with its dotted path', () => {
    // Given a file with five problems
    const text =
      'version: 1\nname: St_Anne\nadvertise:\n  host: "http://x"\n  port: 70000\n' +
      'rpc:\n  host: localhost\nkeys: here\n'
    let thrown: unknown
    try {
      parseMemberConfig(text, 'st-anne/medrec-member.yaml')
    } catch (error) {
      thrown = error
    }
    // Then all of them are named
    expect(thrown).toMatchObject({code: errorCodes.CONFIG_INVALID, message: expect.stringContaining('has 5 problems')})
    const details = (thrown as {details: string[]}).details
    for (const path of [
      'name: ',
      'advertise.host: ',
      'advertise.port: ',
      'rpc.host: ',
      '(top level): unknown key "keys"',
    ])
      expect(
        details.some((d) => d.startsWith(path)),
        path,
      ).toBe(true)
  })

  it('refuses a file that is not YAML, and says how to start when there is none', async () => {
    expect(() => parseMemberConfig('name: [x\n', 'm.yaml')).toThrow(
      expect.objectContaining({code: errorCodes.CONFIG_NOT_YAML}),
    )
    const dir = await mkdtemp(join(tmpdir(), 'medrec-member-config-'))
    await expect(loadMemberConfig(dir)).rejects.toMatchObject({
      code: errorCodes.CONFIG_NOT_FOUND,
      hint: expect.stringContaining('medrec member init'),
    })
  })

  it('refuses to read a network workspace as a member workspace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medrec-member-config-'))
    await writeFile(join(dir, 'medrec.yaml'), 'version: 1\n')
    await writeFile(join(dir, 'medrec-member.yaml'), 'version: 1\nname: st-anne\nadvertise: {host: 10.0.0.5}\n')
    await expect(loadMemberConfig(dir)).rejects.toMatchObject({code: errorCodes.WORKSPACE_IS_NETWORK})
  })

  it('has a JSON Schema for editors', () => {
    const schema = memberConfigJsonSchema() as {properties: Record<string, unknown>; required: string[]}
    expect(Object.keys(schema.properties)).toEqual(['version', 'name', 'advertise', 'rpc'])
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'name', 'advertise']))
  })
})

describe('--advertise HOST[:PORT]', () => {
  it.each([
    ['10.0.0.5', {host: '10.0.0.5'}],
    ['10.0.0.5:30400', {host: '10.0.0.5', port: 30_400}],
    ['node.st-anne.example', {host: 'node.st-anne.example'}],
    ['node.st-anne.example:1', {host: 'node.st-anne.example', port: 1}],
    ['2001:db8::1', {host: '2001:db8::1'}],
    ['[2001:db8::1]:30303', {host: '2001:db8::1', port: 30_303}],
    ['http://node.example:30303', {host: 'http://node.example:30303'}],
  ])('reads %s', (text, expected) => {
    expect(parseAdvertisedAddress(text)).toEqual(expected)
  })

  it.each(['10.0.0.5:0', '10.0.0.5:65536', '10.0.0.5:http', 'host:'])('refuses the port of %s', (text) => {
    expect(() => parseAdvertisedAddress(text)).toThrow(expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}))
  })

  it('tells host addresses from other text', () => {
    for (const host of ['10.0.0.5', '::1', 'a.example.org', 'node-1']) expect(isHostAddress(host), host).toBe(true)
    for (const host of ['', 'http://a', 'a b', '-a.org', '1.2.3.999', 'a..b', 'host:1'])
      expect(isHostAddress(host), host).toBe(false)
  })
})
