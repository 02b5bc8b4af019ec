import {mkdtemp, readdir, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {loadNetworkConfig} from './load-network-config.js'
import {assertWorkspaceKind} from './workspace-kind.js'

async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-kind-'))
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return dir
}

describe('the kind of a workspace', () => {
  it('refuses a member workspace to a network command, naming the command and the file that decides', async () => {
    const dir = await workspace({'medrec-member.yaml': 'version: 1\n'})
    await expect(assertWorkspaceKind(dir, 'network', 'network up')).rejects.toMatchObject({
      code: errorCodes.WORKSPACE_IS_MEMBER,
      message: `\`medrec network up\` works on a network workspace (medrec.yaml), but ${dir} is a member workspace: \
it holds medrec-member.yaml.`,
    })
    // And the network loader refuses it by name rather than offering to create a network there
    await expect(loadNetworkConfig(dir)).rejects.toMatchObject({code: errorCodes.WORKSPACE_IS_MEMBER})
    expect(await readdir(dir)).toEqual(['medrec-member.yaml'])
  })

  it('refuses a network workspace to a member command', async () => {
    const dir = await workspace({'medrec.yaml': 'version: 1\n'})
    await expect(assertWorkspaceKind(dir, 'member', 'consortium import')).rejects.toMatchObject({
      code: errorCodes.WORKSPACE_IS_NETWORK,
      hint: expect.stringContaining('medrec member init'),
    })
  })

  it('lets each kind, an empty or missing directory, and any directory for a command that needs none', async () => {
    const member = await workspace({'medrec-member.yaml': ''})
    const network = await workspace({'medrec.yaml': ''})
    const empty = await workspace({})
    await expect(assertWorkspaceKind(member, 'member')).resolves.toBeUndefined()
    await expect(assertWorkspaceKind(network, 'network')).resolves.toBeUndefined()
    for (const kind of ['member', 'network', 'any'] as const) {
      await expect(assertWorkspaceKind(empty, kind)).resolves.toBeUndefined()
      await expect(assertWorkspaceKind(join(empty, 'not-yet'), kind)).resolves.toBeUndefined()
    }
    await expect(assertWorkspaceKind(member, 'any')).resolves.toBeUndefined()
  })
})
