import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {dropPostgresSchema, postgresPrerequisites} from '../../test/helpers/postgres-prerequisites.js'
import {errorCodes} from '../errors/error-codes.js'
import {openRecordStore, type RecordStoreSpec} from './open-record-store.js'
import {alice, resource} from './testing/record-store-contract.js'

const postgres = postgresPrerequisites()

/** Each kind of store: a spec for a new one (in a directory or schema of its own), and how to remove it. */
const storeKinds: {
  title: string
  kind: string
  skip: boolean
  fresh(): Promise<[RecordStoreSpec, () => Promise<void>]>
}[] = [
  {
    title: 'opens a SQLite store for a sqlite spec',
    kind: 'sqlite',
    skip: false,
    fresh: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'medrec-open-store-'))
      return [{kind: 'sqlite', path: join(dir, 'records.sqlite')}, () => rm(dir, {recursive: true, force: true})]
    },
  },
  {
    title: 'opens a PostgreSQL store for a postgres spec, in the schema given',
    kind: 'postgres',
    skip: !postgres.ok,
    fresh: async () => {
      const url = postgres.ok ? postgres.url : ''
      const schema = `medrec_test_${randomBytes(6).toString('hex')}`
      return [{kind: 'postgres', url, schema}, () => dropPostgresSchema(url, schema)]
    },
  },
]

describe('openRecordStore', () => {
  for (const {title, kind, skip, fresh} of storeKinds) {
    // Skipped only outside CI, with the reason printed, when no PostgreSQL server is named; under CI
    // postgresPrerequisites throws instead (.ci/run starts a server), so nothing is skipped there.
    it.skipIf(skip)(title, async () => {
      // Given a spec for a new store of that kind
      const [spec, dispose] = await fresh()
      try {
        // When it is opened
        const store = await openRecordStore(spec)
        // Then it is that kind of store, and it works
        try {
          expect(store.kind).toBe(kind)
          await store.putMany(alice, [resource('Patient', 'p')])
          expect(await store.lastSeq()).toBe(1)
        } finally {
          await store.close()
        }
      } finally {
        await dispose()
      }
    })
  }

  it('refuses an unknown kind of store', async () => {
    await expect(
      openRecordStore({kind: 'mongodb', url: 'mongodb://x'} as unknown as RecordStoreSpec),
    ).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      message: 'Unknown record store kind "mongodb".',
    })
  })
})
