import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import pg from 'pg'
import {describe, expect, it} from 'vitest'

import {postgresPrerequisites} from '../../test/helpers/postgres-prerequisites.js'
import {errorCodes} from '../errors/error-codes.js'
import {openRecordStore, type RecordStoreSpec} from './open-record-store.js'
import {alice, resource} from './testing/record-store-contract.js'

const postgres = postgresPrerequisites()

describe('openRecordStore', () => {
  it('opens a SQLite store for a sqlite spec', async () => {
    // Given a spec naming a file in a new directory
    const dir = await mkdtemp(join(tmpdir(), 'medrec-open-store-'))
    try {
      // When it is opened
      const store = await openRecordStore({kind: 'sqlite', path: join(dir, 'records.sqlite')})

      // Then it is the SQLite store, and it works
      try {
        expect(store.kind).toBe('sqlite')
        await store.putMany(alice, [resource('Patient', 'p')])
        expect(await store.lastSeq()).toBe(1)
      } finally {
        await store.close()
      }
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it.skipIf(!postgres.ok)('opens a PostgreSQL store for a postgres spec, in the schema given', async () => {
    const url = postgres.ok ? postgres.url : ''
    const schema = `medrec_test_${randomBytes(6).toString('hex')}`
    try {
      const store = await openRecordStore({kind: 'postgres', url, schema})
      try {
        expect(store.kind).toBe('postgres')
        await store.putMany(alice, [resource('Patient', 'p')])
        expect(await store.lastSeq()).toBe(1)
      } finally {
        await store.close()
      }
    } finally {
      const client = new pg.Client({connectionString: url})
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)
      await client.end()
    }
  })

  it('refuses an unknown kind of store', async () => {
    await expect(
      openRecordStore({kind: 'mongodb', url: 'mongodb://x'} as unknown as RecordStoreSpec),
    ).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      message: 'Unknown record store kind "mongodb".',
    })
  })
})
