import type {Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../../errors/error-codes.js'
import type {FhirResource, RecordChange, RecordStore} from '../record-store.js'

/**
 * The behaviour every RecordStore must have, as one suite that each implementation's test
 * file registers against real storage (a temporary SQLite file, a throwaway PostgreSQL
 * schema). Keeping one suite is what makes the stores interchangeable.
 */

/** Fresh, empty storage for one test: it can be opened more than once (reopen, a second writer). */
export type RecordStoreStorage = {
  open(): Promise<RecordStore>
  /** Removes everything the storage made (files, schema). */
  dispose(): Promise<void>
}

export const alice = `0x${'a1'.repeat(32)}` as Hex
export const bob = `0x${'b2'.repeat(32)}` as Hex

/** A small FHIR resource; `extra` changes its content. */
export function resource(resourceType: string, id: string, extra: Record<string, unknown> = {}): FhirResource {
  return {resourceType, id, meta: {source: 'mercy'}, ...extra}
}

/** Strings that break a query built by concatenation; the stores must treat them as data. */
export const sqlInjectionStrings = [
  "'",
  '"',
  "O'Brien",
  "'; DROP TABLE records;--",
  "x'); DROP TABLE meta; --",
  "' OR '1'='1",
  '" OR ""="',
  "' UNION SELECT patient, resource_type, resource_id, version, updated_at, seq, resource FROM records --",
  '%',
  '_',
  '\\',
  '*/ SELECT 1; /*',
  '$1',
  '?',
  '?2',
  "Observation' OR resource_type = 'Patient",
  '; DELETE FROM records WHERE 1=1 --',
  'Patient\n--',
  'ünïcödé 🩺',
]

/** Registers the contract suite for one store implementation. */
export function describeRecordStoreContract(name: string, createStorage: () => Promise<RecordStoreStorage>): void {
  /** Runs `test` with a store on fresh storage, and always closes and removes both. */
  async function withStore(test: (store: RecordStore, storage: RecordStoreStorage) => Promise<void>): Promise<void> {
    const storage = await createStorage()
    try {
      const store = await storage.open()
      try {
        await test(store, storage)
      } finally {
        await store.close()
      }
    } finally {
      await storage.dispose()
    }
  }

  describe(`${name} record store (contract)`, () => {
    it('stores resources and returns them ordered by resourceType, then id', () =>
      withStore(async (store) => {
        // Given resources put in no particular order
        const results = await store.putMany(alice, [
          resource('Observation', 'obs-2'),
          resource('Patient', 'p-1'),
          resource('Observation', 'obs-1'),
        ])

        // Then each is new at version 1
        expect(results.map((r) => [r.changed, r.record.version, r.record.resourceType, r.record.resourceId])).toEqual([
          [true, 1, 'Observation', 'obs-2'],
          [true, 1, 'Patient', 'p-1'],
          [true, 1, 'Observation', 'obs-1'],
        ])

        // When the patient's records are read
        const records = await store.query({patient: alice})

        // Then they come back sorted, with their content as stored
        expect(records.map((r) => `${r.resourceType}/${r.resourceId}`)).toEqual([
          'Observation/obs-1',
          'Observation/obs-2',
          'Patient/p-1',
        ])
        expect(records[2]).toMatchObject({patient: alice, resource: resource('Patient', 'p-1'), version: 1})
        for (const record of records) expect(new Date(record.updatedAt).toISOString()).toBe(record.updatedAt)
      }))

    it('gives a changed resource the next version and a new seq', () =>
      withStore(async (store) => {
        // Given a stored resource
        const [first] = await store.putMany(alice, [resource('Patient', 'p-1', {gender: 'female'})])

        // When its content changes
        const [second] = await store.putMany(alice, [resource('Patient', 'p-1', {gender: 'unknown'})])

        // Then it is version 2 with a later seq and the new content
        expect(second).toMatchObject({changed: true, record: {version: 2, resource: {gender: 'unknown'}}})
        expect(second!.record.seq).toBeGreaterThan(first!.record.seq)
        expect(Date.parse(second!.record.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first!.record.updatedAt))
        expect(await store.query({patient: alice})).toEqual([second!.record])
      }))

    it('keeps the version and seq of an unchanged resource, whatever its key order', () =>
      withStore(async (store) => {
        // Given a stored resource
        const [first] = await store.putMany(alice, [
          {resourceType: 'Patient', id: 'p-1', name: [{family: 'Doe', given: ['Jane']}], active: true},
        ])
        const seqBefore = await store.lastSeq()

        // When the same content is put again with its keys in another order
        const [again] = await store.putMany(alice, [
          {active: true, name: [{given: ['Jane'], family: 'Doe'}], id: 'p-1', resourceType: 'Patient'},
        ])

        // Then nothing changed
        expect(again).toEqual({changed: false, record: first!.record})
        expect(await store.lastSeq()).toBe(seqBefore)
        expect(await store.changesSince(seqBefore)).toEqual([])
      }))

    it('applies a resource given twice in one batch in order', () =>
      withStore(async (store) => {
        // When one batch holds two versions of a resource, then the first again
        const results = await store.putMany(alice, [
          resource('Patient', 'p-1', {v: 1}),
          resource('Patient', 'p-1', {v: 2}),
          resource('Patient', 'p-1', {v: 2}),
        ])

        // Then they apply one after the other, and the last one wins
        expect(results.map((r) => [r.changed, r.record.version])).toEqual([
          [true, 1],
          [true, 2],
          [false, 2],
        ])
        expect((await store.query({patient: alice}))[0]?.resource).toEqual(resource('Patient', 'p-1', {v: 2}))
      }))

    it('returns only the resource types asked for, and nothing for an empty list', () =>
      withStore(async (store) => {
        // Given three types of resource
        await store.putMany(alice, [
          resource('Patient', 'p'),
          resource('Observation', 'o'),
          resource('Condition', 'c'),
          resource('Observation', 'o2'),
        ])

        // Then a filter picks types, duplicates in it do no harm, and [] means none
        const types = async (resourceTypes: string[]) =>
          (await store.query({patient: alice, resourceTypes})).map((r) => `${r.resourceType}/${r.resourceId}`)
        expect(await types(['Observation', 'Patient', 'Observation'])).toEqual([
          'Observation/o',
          'Observation/o2',
          'Patient/p',
        ])
        expect(await types(['Condition'])).toEqual(['Condition/c'])
        expect(await types(['MedicationRequest'])).toEqual([])
        expect(await types([])).toEqual([])
      }))

    it('returns at most limit records, the first in order', () =>
      withStore(async (store) => {
        // Given five observations
        await store.putMany(
          alice,
          ['e', 'd', 'c', 'b', 'a'].map((id) => resource('Observation', id)),
        )

        // Then a limit keeps the first ones in order
        expect((await store.query({patient: alice, limit: 2})).map((r) => r.resourceId)).toEqual(['a', 'b'])
        expect(
          (await store.query({patient: alice, resourceTypes: ['Observation'], limit: 10})).map((r) => r.resourceId),
        ).toEqual(['a', 'b', 'c', 'd', 'e'])
      }))

    it('starts at lastSeq 0 and advances by one for each changed resource', () =>
      withStore(async (store) => {
        // Given an empty store
        expect(await store.lastSeq()).toBe(0)
        expect(await store.changesSince(0)).toEqual([])

        // When two resources are new and then one of them changes
        await store.putMany(alice, [resource('Patient', 'p'), resource('Observation', 'o')])
        await store.putMany(alice, [resource('Patient', 'p'), resource('Observation', 'o', {status: 'final'})])

        // Then three changes were counted
        expect(await store.lastSeq()).toBe(3)
      }))

    it('lists changes after a seq in seq order, each resource once at its latest change', () =>
      withStore(async (store) => {
        // Given changes to two patients, one resource changed twice
        await store.putMany(alice, [resource('Patient', 'a'), resource('Observation', 'a-1')])
        await store.putMany(bob, [resource('Patient', 'b')])
        await store.putMany(alice, [resource('Patient', 'a', {active: false})])

        // When every change since the start is read
        const changes = await store.changesSince(0)

        // Then they are in seq order, and the resource changed twice appears at its latest change
        expect(changes.map((c) => [c.seq, c.patient, `${c.resourceType}/${c.resourceId}`, c.version])).toEqual([
          [2, alice, 'Observation/a-1', 1],
          [3, bob, 'Patient/b', 1],
          [4, alice, 'Patient/a', 2],
        ])
        expect((await store.changesSince(2)).map((c) => c.seq)).toEqual([3, 4])
        expect((await store.changesSince(0, 2)).map((c) => c.seq)).toEqual([2, 3])
        expect(await store.changesSince(4)).toEqual([])
        const [latest] = await store.query({patient: alice, resourceTypes: ['Patient']})
        expect(changes[2]?.updatedAt).toBe(latest?.updatedAt)
      }))

    it('keeps two patients apart', () =>
      withStore(async (store) => {
        // Given the same resource keys for two patients
        await store.putMany(alice, [resource('Patient', 'same', {name: 'Alice'})])
        await store.putMany(bob, [resource('Patient', 'same', {name: 'Bob'})])

        // Then each sees only their own, and a change to one leaves the other alone
        expect((await store.query({patient: alice})).map((r) => r.resource.name)).toEqual(['Alice'])
        expect((await store.query({patient: bob})).map((r) => r.resource.name)).toEqual(['Bob'])
        await store.putMany(bob, [resource('Patient', 'same', {name: 'Robert'})])
        expect(await store.query({patient: alice})).toMatchObject([{version: 1, resource: {name: 'Alice'}}])
        expect(await store.query({patient: `0x${'c3'.repeat(32)}`})).toEqual([])
      }))

    it('treats a patient id in capitals as the same, lowercase patient', () =>
      withStore(async (store) => {
        // When a patient is given in capitals
        const [result] = await store.putMany(alice.toUpperCase().replace('0X', '0x') as Hex, [resource('Patient', 'p')])

        // Then it is stored lowercase and found either way
        expect(result?.record.patient).toBe(alice)
        expect(await store.query({patient: alice})).toHaveLength(1)
        expect(await store.query({patient: alice.toUpperCase().replace('0X', '0x') as Hex})).toHaveLength(1)
      }))

    it('keeps records across close and reopen', () =>
      withStore(async (store, storage) => {
        // Given records written and the store closed
        await store.putMany(alice, [resource('Patient', 'p'), resource('Observation', 'o')])
        await store.close()

        // When the storage is opened again
        const reopened = await storage.open()
        try {
          // Then the records, the sequence and the versions carry on
          expect(await reopened.query({patient: alice})).toHaveLength(2)
          expect(await reopened.lastSeq()).toBe(2)
          const [changed] = await reopened.putMany(alice, [resource('Patient', 'p', {active: true})])
          expect(changed?.record).toMatchObject({version: 2, seq: 3})
        } finally {
          await reopened.close()
        }
      }))

    it('refuses a patient that is not bytes32 hex, before any SQL', () =>
      withStore(async (store) => {
        const badPatients = [
          '',
          'alice',
          '0x1234',
          alice.slice(2),
          `${alice}00`,
          `0x${'g'.repeat(64)}`,
          `${alice}'; DROP TABLE records;--`,
          `' OR '1'='1`,
          ` ${alice}`,
          null,
          42,
        ]
        for (const patient of badPatients) {
          // When a bad patient id is used to write or to read
          // Then it is refused with INVALID_ARGUMENT
          await expect(
            store.putMany(patient as Hex, [resource('Patient', 'p')]),
            String(patient),
          ).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
          await expect(store.query({patient: patient as Hex}), String(patient)).rejects.toMatchObject({
            code: errorCodes.INVALID_ARGUMENT,
          })
        }
        // And nothing was written
        expect(await store.lastSeq()).toBe(0)
      }))

    it('refuses resources without a string resourceType and id, and writes none of the batch', () =>
      withStore(async (store) => {
        // When a batch mixes good resources with bad ones
        const batch = [
          resource('Patient', 'good'),
          {resourceType: 'Observation'},
          {resourceType: 7, id: 'x'},
          {resourceType: 'Observation', id: ''},
          'text',
        ] as unknown as FhirResource[]
        const refusal = store.putMany(alice, batch)

        // Then every bad one is named and nothing is stored
        await expect(refusal).rejects.toMatchObject({
          code: errorCodes.INVALID_ARGUMENT,
          details: [
            expect.stringMatching(/^resources\[1\]\.id: /),
            expect.stringMatching(/^resources\[2\]\.resourceType: /),
            expect.stringMatching(/^resources\[3\]\.id: /),
            expect.stringMatching(/^resources\[4\]: /),
          ],
        })
        expect(await store.lastSeq()).toBe(0)
        expect(await store.query({patient: alice})).toEqual([])
      }))

    it('refuses bad limits and sequence numbers', () =>
      withStore(async (store) => {
        for (const limit of [0, -1, 1.5, Number.NaN, '10']) {
          await expect(store.query({patient: alice, limit: limit as number}), String(limit)).rejects.toMatchObject({
            code: errorCodes.INVALID_ARGUMENT,
          })
          await expect(store.changesSince(0, limit as number), String(limit)).rejects.toMatchObject({
            code: errorCodes.INVALID_ARGUMENT,
          })
        }
        await expect(store.changesSince(-1)).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
        await expect(store.changesSince(0, 10_001)).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
        await expect(
          store.query({patient: alice, resourceTypes: ['Patient', 3 as unknown as string]}),
        ).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
      }))

    it('stores and matches resource types, ids and content that contain SQL literally, and its tables survive', () =>
      withStore(async (store, storage) => {
        // Given resources whose type, id and content are SQL injection attempts
        const batch = sqlInjectionStrings.flatMap((text, index) => [
          resource(text, `id-${index}`, {note: text}),
          resource('Observation', text, {note: text}),
        ])
        const results = await store.putMany(alice, batch)
        expect(results.every((r) => r.changed)).toBe(true)

        // Then each type matches exactly itself: no wildcard, no quote escapes the value
        for (const [index, text] of sqlInjectionStrings.entries()) {
          const byType = await store.query({patient: alice, resourceTypes: [text]})
          expect(
            byType.map((r) => [r.resourceType, r.resourceId, r.resource.note]),
            text,
          ).toEqual([[text, `id-${index}`, text]])
        }
        // And every id is stored as given
        const observations = await store.query({patient: alice, resourceTypes: ['Observation']})
        expect(observations.map((r) => r.resourceId).sort()).toEqual([...sqlInjectionStrings].sort())
        expect(observations.every((r) => r.resource.note === r.resourceId)).toBe(true)

        // And the same puts again change nothing (the unchanged comparison is literal too)
        expect((await store.putMany(alice, batch)).some((r) => r.changed)).toBe(false)

        // And the tables are all still there, for this connection and a new one
        expect(await store.lastSeq()).toBe(batch.length)
        expect(await store.changesSince(0, 10_000)).toHaveLength(batch.length)
        expect(await store.query({patient: bob})).toEqual([])
        const reopened = await storage.open()
        try {
          expect(await reopened.query({patient: alice})).toHaveLength(batch.length)
        } finally {
          await reopened.close()
        }
      }))

    it('lets a reader following changesSince miss nothing while two connections write at once', () =>
      withStore(async (store, storage) => {
        // Given a second connection to the same storage, as when an import runs beside the gatekeeper
        const other = await storage.open()
        try {
          const batches = 25
          const perBatch = 4
          const write = async (writer: RecordStore, name: string) => {
            for (let batch = 0; batch < batches; batch++) {
              await writer.putMany(
                alice,
                Array.from({length: perBatch}, (_, i) => resource('Observation', `${name}-${batch}-${i}`)),
              )
            }
          }

          // When both write while a reader follows the change feed from the first connection
          const seen: RecordChange[] = []
          let writing = true
          const follow = async () => {
            let cursor = 0
            const poll = async () => {
              const changes = await store.changesSince(cursor, 7)
              seen.push(...changes)
              cursor = changes.at(-1)?.seq ?? cursor
              return changes.length
            }
            while (writing) {
              await poll()
              await new Promise((resolve) => setImmediate(resolve))
            }
            while ((await poll()) > 0);
          }
          const reader = follow()
          await Promise.all([write(store, 'one'), write(other, 'two')])
          writing = false
          await reader

          // Then the reader saw every change once, in order, and the seqs have no gaps
          const total = 2 * batches * perBatch
          expect(seen.map((c) => c.seq)).toEqual(Array.from({length: total}, (_, i) => i + 1))
          expect(new Set(seen.map((c) => c.resourceId)).size).toBe(total)
          expect(await other.lastSeq()).toBe(total)
        } finally {
          await other.close()
        }
      }))
  })
}
