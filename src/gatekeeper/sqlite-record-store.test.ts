import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import type {RecordChange} from './record-store.js'
import {openSqliteRecordStore} from './sqlite-record-store.js'
import {alice, bob, describeRecordStoreContract, resource} from './testing/record-store-contract.js'
import {runSourceScript, sourceUrl} from './testing/source-script.js'

async function temporaryDirectory(): Promise<{dir: string; [Symbol.asyncDispose](): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-sqlite-store-'))
  return {dir, [Symbol.asyncDispose]: () => rm(dir, {recursive: true, force: true})}
}

describeRecordStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-sqlite-store-'))
  const path = join(dir, 'records.sqlite')
  return {open: () => openSqliteRecordStore(path), dispose: () => rm(dir, {recursive: true, force: true})}
})

/** A writer in another process, as `medrec gatekeeper import` beside a running gatekeeper. */
const childWriter = `
const [storeModule, path, patient, batches, perBatch] = process.argv.slice(1)
const {openSqliteRecordStore} = await import(storeModule)
const store = await openSqliteRecordStore(path)
for (let batch = 0; batch < Number(batches); batch++) {
  const resources = Array.from({length: Number(perBatch)}, (_, i) => ({
    resourceType: 'Observation',
    id: 'child-' + batch + '-' + i,
  }))
  await store.putMany(patient, resources)
  await new Promise((resolve) => setImmediate(resolve))
}
await store.close()
`

async function runChildWriter(path: string, batches: number, perBatch: number): Promise<void> {
  const storeModule = sourceUrl('gatekeeper/sqlite-record-store.ts')
  await runSourceScript(childWriter, [storeModule, path, bob, String(batches), String(perBatch)])
}

describe('SQLite record store', () => {
  it('sees, through changesSince, what another process writes to the same file meanwhile, \
and neither writer fails', async () => {
    // Given a store open here and a writer in another process
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'records.sqlite')
    const store = await openSqliteRecordStore(path)
    try {
      // When both write at once while this process follows the change feed
      const child = runChildWriter(path, 40, 5)
      let childDone = false
      void child.then(
        () => (childDone = true),
        () => (childDone = true),
      )
      const seen: RecordChange[] = []
      let cursor = 0
      const poll = async () => {
        const changes = await store.changesSince(cursor)
        seen.push(...changes)
        cursor = changes.at(-1)?.seq ?? cursor
        return changes.length
      }
      for (let batch = 0; !childDone || batch < 40; batch++) {
        if (batch < 40) await store.putMany(alice, [resource('Observation', `parent-${batch}`)])
        await poll()
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      await child
      while ((await poll()) > 0);

      // Then every change of both writers was seen once, in seq order without gaps
      expect(seen.map((c) => c.seq)).toEqual(Array.from({length: 240}, (_, i) => i + 1))
      expect(seen.filter((c) => c.patient === bob)).toHaveLength(200)
      expect(seen.filter((c) => c.patient === alice)).toHaveLength(40)
      expect(await store.query({patient: bob, limit: 1})).toMatchObject([{resourceId: 'child-0-0', version: 1}])
    } finally {
      await store.close()
    }
  })

  it('uses write-ahead logging and creates its schema in a new file', async () => {
    // Given a new store
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'records.sqlite')
    await (await openSqliteRecordStore(path)).close()

    // Then the file is in WAL mode with the records table and its seq index
    const db = new DatabaseSync(path)
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({journal_mode: 'wal'})
      const names = db
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name")
        .all()
        .map((row) => row.name)
      expect(names).toEqual(expect.arrayContaining(['meta', 'records', 'records_by_seq']))
    } finally {
      db.close()
    }
  })

  it('refuses a file that is not a SQLite database', async () => {
    // Given a text file where the store should be
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'records.sqlite')
    await writeFile(path, 'patient,resource\n'.repeat(200))

    // Then opening it says so
    await expect(openSqliteRecordStore(path)).rejects.toMatchObject({
      code: errorCodes.RECORD_STORE_INVALID,
      message: expect.stringContaining(path),
    })
  })

  it('refuses a path in a directory that does not exist, naming the path', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'missing', 'records.sqlite')
    await expect(openSqliteRecordStore(path)).rejects.toMatchObject({
      code: errorCodes.RECORD_STORE_UNAVAILABLE,
      message: expect.stringContaining(path),
    })
  })

  it('refuses a store made by a newer schema, and a database whose records table is not its own', async () => {
    // Given a store whose schema version is from the future
    await using tmp = await temporaryDirectory()
    const newer = join(tmp.dir, 'newer.sqlite')
    await (await openSqliteRecordStore(newer)).close()
    const db = new DatabaseSync(newer)
    db.exec("UPDATE meta SET value = 2 WHERE key = 'schema_version'")
    db.close()
    // And another application's database with a table called records
    const foreign = join(tmp.dir, 'foreign.sqlite')
    const other = new DatabaseSync(foreign)
    other.exec('CREATE TABLE records (id INTEGER PRIMARY KEY, body TEXT)')
    other.close()

    // Then both are refused, and the foreign table is left as it was
    await expect(openSqliteRecordStore(newer)).rejects.toMatchObject({
      code: errorCodes.RECORD_STORE_INVALID,
      message: expect.stringMatching(/schema version 2/),
    })
    await expect(openSqliteRecordStore(foreign)).rejects.toMatchObject({
      code: errorCodes.RECORD_STORE_INVALID,
      message: expect.stringMatching(/not a MedRec record store/),
    })
    const check = new DatabaseSync(foreign)
    expect(
      check
        .prepare("SELECT name FROM pragma_table_info('records')")
        .all()
        .map((row) => row.name),
    ).toEqual(['id', 'body'])
    check.close()
  })
})
