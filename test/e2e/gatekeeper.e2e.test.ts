import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {freePort, initE2eNetwork, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec, startMedrecServer} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()
const servers: {stop(): Promise<unknown>}[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

const bundle = (glucose: number) => ({
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    {resource: {resourceType: 'Patient', id: 'mrn-0042', name: [{family: 'Doe', given: ['Alice']}]}},
    {
      resource: {
        resourceType: 'Observation',
        id: 'glucose-1',
        status: 'final',
        code: {text: 'Glucose'},
        valueQuantity: {value: glucose, unit: 'mmol/L'},
      },
    },
    {resource: {resourceType: 'Condition', id: 'dm2', code: {text: 'Type 2 diabetes'}}},
  ],
})

describe.skipIf(!prerequisites.ok)('the Database Gatekeeper on a real network', () => {
  it('serves a patient its records, a granted viewer what the grant covers, \
and refuses the viewer from the block its grant is revoked in', async () => {
    // Given a network with the contracts, two providers (mercy runs a gatekeeper) and a patient
    const net = await initE2eNetwork('e2e-gk', ['--sealers', '2'])
    created.push(net.name)
    const medrec = medrecIn(net.dir)
    await medrec('network', 'up')
    await medrec('contracts', 'deploy')
    await medrec('provider', 'add', 'mercy', '--light-kdf')
    await medrec('provider', 'add', 'st-anne', '--light-kdf')
    await medrec('account', 'create', 'alice', '--light-kdf')
    await medrec(
      'registrar',
      'register',
      'patient',
      '--local-id',
      'MRN-0042',
      '--account',
      'alice',
      '--consent',
      '--as',
      'mercy',
    )
    const file = join(net.dir, 'bundle.json')
    await writeFile(file, JSON.stringify(bundle(5.4)))
    expect(await medrec('gatekeeper', 'import', file, '--provider', 'mercy', '--local-id', 'MRN-0042')).toMatchObject({
      resources: 3,
      changed: 3,
    })
    const port = await freePort()
    // (anchoring hourly: no anchor transaction lands in the window checked below; the one on stop is checked last)
    const startArgs = ['gatekeeper', 'start', '--provider', 'mercy', '--port', String(port), '--anchor-every', '3600']
    const gatekeeper = await startMedrecServer([...startArgs, '--dir', net.dir])
    servers.push(gatekeeper)
    expect(gatekeeper.ready).toMatchObject({url: `http://127.0.0.1:${port}`, store: 'sqlite'})
    expect(gatekeeper.ready.anchoring).toMatchObject({everySeconds: 3600})

    // When mercy proposes a relationship pointing at its gatekeeper, nothing is served before alice accepts
    const {relationship} = await medrec(
      'relationship',
      'propose',
      '--patient-local-id',
      'MRN-0042',
      '--endpoint',
      gatekeeper.ready.url,
      '--as',
      'mercy',
    )
    expect((await medrec('patient', 'records', '--as', 'alice')).results).toEqual([])

    // When alice accepts, she fetches her records, decrypted with her key
    await medrec('relationship', 'accept', relationship, '--as', 'alice')
    const mine = await medrec('patient', 'records', '--as', 'alice')
    expect(mine.results).toHaveLength(1)
    expect(mine.results[0]).toMatchObject({status: 'ok', relationship})
    expect(mine.results[0].records.map((r: {resourceType: string}) => r.resourceType)).toEqual([
      'Condition',
      'Observation',
      'Patient',
    ])

    // When she grants st-anne Observations, st-anne reads those and nothing else
    await medrec(
      'relationship',
      'grant',
      relationship,
      '--viewer',
      'st-anne',
      '--scope',
      'Observation',
      '--expires-in',
      '1d',
      '--as',
      'alice',
    )
    const viewed = await medrec('gatekeeper', 'query', relationship, '--as', 'st-anne', '--types', 'Observation')
    expect(viewed.results[0]).toMatchObject({
      status: 'ok',
      records: [{resourceType: 'Observation', resourceId: 'glucose-1'}],
    })
    expect((await medrec('gatekeeper', 'query', relationship, '--as', 'st-anne')).results[0]).toMatchObject({
      status: 'refused',
      httpStatus: 403,
    })

    // When she revokes, st-anne is refused from then on
    await medrec('relationship', 'revoke', relationship, '--viewer', 'st-anne', '--as', 'alice')
    expect(
      (await medrec('gatekeeper', 'query', relationship, '--as', 'st-anne', '--types', 'Observation')).results[0],
    ).toMatchObject({status: 'refused', httpStatus: 403})

    // And alice's sync keeps a local copy, updated from a notification when mercy's record changes, with no transaction
    const sync = runMedrec(['patient', 'sync', '--as', 'alice', '--follow', '12', '--dir', net.dir, '--json'])
    await new Promise((resolve) => setTimeout(resolve, 7000))
    const headBefore = (await medrec('network', 'status')).blockNumber
    await writeFile(file, JSON.stringify(bundle(7.9)))
    expect(await medrec('gatekeeper', 'import', file, '--provider', 'mercy', '--local-id', 'MRN-0042')).toMatchObject({
      changed: 1,
      unchanged: 2,
    })
    const synced = (await sync).json
    expect(synced).toMatchObject({relationships: 1, records: 3})
    const fetches = synced.events.filter((e: {type: string}) => e.type === 'fetched')
    expect(synced.events.some((e: {type: string}) => e.type === 'subscribed')).toBe(true)
    expect(fetches.at(-1)).toMatchObject({status: 'ok', changed: 1})
    // (blocks keep coming from the sealers, but none of them carries a transaction of ours)
    const head = (await medrec('network', 'status')).blockNumber
    for (let b = headBefore + 1; b <= head; b++) {
      const block = await (
        await fetch(net.rpcUrl, {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'eth_getBlockTransactionCountByNumber',
            params: [`0x${b.toString(16)}`],
          }),
        })
      ).json()
      expect(Number((block as {result: string}).result)).toBe(0)
    }

    // And the audit log holds every decision, chained and MACed, its head anchored on chain when the gatekeeper stopped
    await gatekeeper.stop()
    const audit = await medrec('gatekeeper', 'audit', 'verify', '--provider', 'mercy')
    expect(audit).toMatchObject({ok: true, macChecked: true, anchorsRead: true, unanchored: 0})
    expect(audit.entries).toBeGreaterThanOrEqual(6)
    expect(audit.anchors.at(-1)).toMatchObject({entries: audit.entries, head: audit.lastHash, status: 'matched'})
    const again = await medrec('gatekeeper', 'audit', 'anchor', '--provider', 'mercy')
    expect(again).toMatchObject({anchored: false, entries: audit.entries})

    // And a log whose last line is cut off fails verification, naming the anchor it breaks
    const logFile = join(net.dir, '.medrec', 'gatekeeper', 'mercy', 'audit.log')
    const lines = (await readFile(logFile, 'utf8')).split('\n').filter(Boolean)
    await writeFile(logFile, `${lines.slice(0, -1).join('\n')}\n`)
    const cut = await runMedrec(['gatekeeper', 'audit', 'verify', '--provider', 'mercy', '--dir', net.dir, '--json'])
    expect(cut.exitCode).toBe(1)
    expect(cut.json.error).toMatchObject({
      code: 'MEDREC_AUDIT_LOG_CORRUPT',
      message: expect.stringContaining(`records ${audit.entries}: entries were cut off`),
    })
  })
})
