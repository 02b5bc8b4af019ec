import {mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'
import {createTarArchive} from '../../src/docker/tar-archive.js'
import {dockerObjectsOf, initE2eNetwork, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const nothing = {containers: [], volumes: [], networks: []}
const created = throwawayNetworks()

/** A static binary that answers `version` like geth 1.14.0 would: built with Go in a temporary directory. */
async function buildFakeGeth(version: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-fake-geth-'))
  await writeFile(join(dir, 'go.mod'), 'module fakegeth\n\ngo 1.21\n')
  await writeFile(
    join(dir, 'main.go'),
    `package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tif len(os.Args) > 1 && os.Args[1] == \
"version" {\n\t\tfmt.Println("Geth\\nVersion: ${version}-stable")\n\t\treturn\n\t}\n\tos.Exit(1)\n}\n`,
  )
  await execa('go', ['build', '-o', 'geth', '.'], {cwd: dir, env: {CGO_ENABLED: '0', GOFLAGS: '-mod=mod'}})
  return join(dir, 'geth')
}

const goAvailable = (await execa('go', ['version'], {reject: false}).catch(() => ({exitCode: 1}))).exitCode === 0
if (!goAvailable && process.env.CI)
  throw new Error('Go is required under CI (it builds geth and the wrong-version test image)')

describe.skipIf(!prerequisites.ok)('network up refuses bad input and creates nothing', () => {
  it('refuses a port already in use before any container starts', async () => {
    // Given a network whose RPC port something else holds
    const net = await initE2eNetwork('e2e-port')
    created.push(net.name)
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(net.rpcPort, '127.0.0.1', resolve))
    try {
      // When it is brought up
      const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
      // Then it fails with PORT_IN_USE naming the port, and nothing exists
      expect(up.exitCode).toBe(1)
      expect(up.json.error).toMatchObject({
        code: 'MEDREC_PORT_IN_USE',
        message: expect.stringContaining(`127.0.0.1:${net.rpcPort} (rpc.port)`),
      })
      expect(await dockerObjectsOf(net.name)).toEqual(nothing)
    } finally {
      squatter.close()
    }
  })

  it('says the Docker engine is unreachable, and writes nothing', async () => {
    // Given an empty directory and DOCKER_HOST pointing at nothing
    const dir = await mkdtemp(join(tmpdir(), 'medrec-nodocker-'))
    // When up runs
    const up = await runMedrec(['network', 'up', '--dir', dir], {env: {DOCKER_HOST: 'tcp://127.0.0.1:1'}})
    // Then the message names the endpoint and the next step; the directory stays empty
    expect(up.exitCode).toBe(1)
    expect(up.stderr).toContain(
      'Error [MEDREC_DOCKER_UNREACHABLE]: Cannot reach the Docker engine at tcp://127.0.0.1:1',
    )
    expect(up.stderr).toContain('Nothing was created')
    expect(await readdir(dir)).toEqual([])
    // And on an initialised network, --json gives the error in its stable shape
    const net = await initE2eNetwork('e2e-nodock')
    const json = await runMedrec(['network', 'status', '--dir', net.dir, '--json'], {
      env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'},
    })
    expect(json.exitCode).toBe(1)
    expect(json.json).toEqual({
      error: {
        code: 'MEDREC_DOCKER_UNREACHABLE',
        message: expect.stringContaining('unix:///nonexistent/docker.sock: its socket does not exist'),
        hint: expect.any(String),
        details: [],
      },
    })
  })

  it.skipIf(!goAvailable)(
    'refuses an image whose geth is not 1.13.x, with the reason, and creates nothing',
    async () => {
      // Given an image (tagged with no version) whose geth reports 1.14.0
      const fake = await buildFakeGeth('1.14.0')
      const tag = 'medrec-e2e/fake-geth:prod'
      const engine = new DockerodeEngine()
      await engine.buildImage(
        createTarArchive([
          {
            path: 'Dockerfile',
            content: 'FROM scratch\nCOPY geth /usr/local/bin/geth\nENTRYPOINT ["/usr/local/bin/geth"]\n',
            mode: 0o644,
          },
          {path: 'geth', content: await readFile(fake), mode: 0o755},
        ]),
        tag,
        {},
      )
      const net = await initE2eNetwork('e2e-image')
      created.push(net.name)
      const configPath = join(net.dir, 'medrec.yaml')
      await writeFile(
        configPath,
        (await readFile(configPath, 'utf8')).replace('image: ethereum/client-go:v1.13.15', `image: ${tag}`),
      )

      // When up runs
      const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])

      // Then the image is refused because of what it runs, and nothing exists
      expect(up.exitCode).toBe(1)
      expect(up.json.error.code).toBe('MEDREC_IMAGE_WRONG_VERSION')
      expect(up.json.error.message).toMatch(/1\.14\.0.*removed non-merge block production/)
      expect(await dockerObjectsOf(net.name)).toEqual(nothing)

      // And image build refuses the same binary before building anything
      const build = await runMedrec([
        'image',
        'build',
        '--geth-binary',
        fake,
        '--tag',
        'medrec-e2e/never:built',
        '--json',
      ])
      expect(build.exitCode).toBe(1)
      expect(build.json.error.code).toBe('MEDREC_IMAGE_WRONG_VERSION')
      expect(await engine.inspectImage('medrec-e2e/never:built')).toBeUndefined()
    },
  )

  it('refuses period 0 in medrec.yaml with the reason, before anything is created', async () => {
    // Given a network whose medrec.yaml asks for period 0 (seal only with transactions)
    const net = await initE2eNetwork('e2e-period0')
    created.push(net.name)
    const configPath = join(net.dir, 'medrec.yaml')
    await writeFile(configPath, (await readFile(configPath, 'utf8')).replace(/^(\s*)period: 1$/m, '$1period: 0'))

    // When it is brought up
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])

    // Then the config is refused, the reason names the idle stall and the RPC node's sync, and nothing exists
    expect(up.exitCode).toBe(1)
    expect(up.json.error.code).toBe('MEDREC_CONFIG_INVALID')
    const reason = /^network\.period: .*period 0 seals only when a transaction is waiting.*RPC node cannot sync/m
    expect(up.json.error.details.join('\n')).toMatch(reason)
    expect(await dockerObjectsOf(net.name)).toEqual(nothing)
  })

  it('fails fast, naming the sealer whose password does not open its key, and removes what the first up \
made', async () => {
    // Given a network where sealer-2's password file was replaced
    const net = await initE2eNetwork('e2e-pass')
    created.push(net.name)
    await writeFile(join(net.dir, '.medrec/keys/sealer-2/password'), 'not-the-password', {mode: 0o600})

    // When it is brought up
    const started = Date.now()
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--timeout', '60', '--json'])

    // Then sealer-2 is named with geth's reason, well before the timeout
    expect(up.exitCode).toBe(1)
    expect(up.json.error).toMatchObject({
      code: 'MEDREC_NODE_FAILED',
      message: expect.stringMatching(/^sealer-2 (stopped|keeps crashing)/),
    })
    expect(up.json.error.details.join('\n')).toMatch(/could not decrypt key with given password/)
    expect(Date.now() - started).toBeLessThan(45_000)
    // And the failed first up left nothing behind
    expect(await dockerObjectsOf(net.name)).toEqual(nothing)
  })
})
