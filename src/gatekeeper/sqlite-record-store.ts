import {DatabaseSync, type StatementSync} from 'node:sqlite'

import type {Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {FhirResource, PutResult, RecordChange, RecordQuery, RecordStore, StoredRecord} from './record-store.js'
import {normalisePatient, prepareChangesSince, prepareQuery, prepareResources} from './record-store-input.js'

/**
 * The default record store: one SQLite file, through Node's built-in node:sqlite (no
 * native dependency to build). WAL mode lets readers run while one writer writes, and
 * lets a second process (`medrec gatekeeper import` beside a running gatekeeper) write the
 * same file: every statement runs in its own read snapshot, so changesSince sees what
 * the other process committed.
 */

/** The schema this code writes; a file with a higher number was made by a newer medrec. */
const schemaVersion = 1

/** How long a statement waits for another process's write lock before giving up. */
const busyTimeoutMs = 5000

const schema = `
  CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ${schemaVersion}), ('last_seq', 0);
  CREATE TABLE IF NOT EXISTS records (
    patient TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    resource TEXT NOT NULL,
    PRIMARY KEY (patient, resource_type, resource_id)
  );
  CREATE UNIQUE INDEX IF NOT EXISTS records_by_seq ON records (seq);
`

const recordColumns = ['patient', 'resource_type', 'resource_id', 'version', 'updated_at', 'seq', 'resource']

/** Opens (creating if needed) the SQLite record store at `path`. */
export async function openSqliteRecordStore(path: string): Promise<RecordStore> {
  if (typeof path !== 'string' || path.length === 0)
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The SQLite record store needs a file path.')
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, {timeout: busyTimeoutMs})
  } catch (error) {
    throw sqliteProblem(error, path, 'open')
  }
  try {
    initialise(db, path)
  } catch (error) {
    db.close()
    throw sqliteProblem(error, path, 'open')
  }
  return new SqliteRecordStore(db, path)
}

function initialise(db: DatabaseSync, path: string): void {
  // busy_timeout is also set through the constructor option; stating it here keeps it
  // visible next to the other connection settings.
  db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
  // Before changing anything (even the journal mode): is this someone else's database?
  checkRecordsTable(db, path)
  const mode = db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode
  if (mode !== 'wal' && path !== ':memory:') {
    throw new MedrecError(
      errorCodes.RECORD_STORE_UNAVAILABLE,
      `The record store ${path} cannot use write-ahead logging (journal mode is ${String(mode)}).`,
      {
        hint: 'Put the store on a local file system (WAL does not work over network file systems such as NFS).',
      },
    )
  }
  // FULL: a commit is on disk before putMany resolves; records are medical data, and an
  // import that reported success must not roll back on a power cut.
  db.exec('PRAGMA synchronous = FULL')
  db.exec('BEGIN IMMEDIATE')
  try {
    db.exec(schema)
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value
    if (version !== schemaVersion) {
      throw new MedrecError(
        errorCodes.RECORD_STORE_INVALID,
        `The record store ${path} has schema version ${String(version)}; ` +
          `this medrec understands version ${schemaVersion}.`,
        {
          hint: 'Use the medrec version that created the store, or point the gatekeeper at a new file.',
        },
      )
    }
    db.exec('COMMIT')
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw error
  }
}

function checkRecordsTable(db: DatabaseSync, path: string): void {
  const columns = db
    .prepare("SELECT name FROM pragma_table_info('records')")
    .all()
    .map((row) => row.name)
  const missing = recordColumns.filter((column) => !columns.includes(column))
  if (columns.length > 0 && missing.length > 0) {
    throw new MedrecError(
      errorCodes.RECORD_STORE_INVALID,
      `${path} has a "records" table that is not a MedRec record store's (no column ${missing.join(', ')}).`,
      {
        hint: 'Point the gatekeeper at a file of its own; it never changes tables it did not create.',
      },
    )
  }
}

class SqliteRecordStore implements RecordStore {
  readonly kind = 'sqlite' as const
  readonly #db: DatabaseSync
  readonly #path: string
  // Prepared once and reused: every value is a bound parameter, never part of the SQL.
  readonly #lastSeq: StatementSync
  readonly #setLastSeq: StatementSync
  readonly #findOne: StatementSync
  readonly #upsert: StatementSync
  readonly #query: StatementSync
  readonly #changes: StatementSync

  constructor(db: DatabaseSync, path: string) {
    this.#db = db
    this.#path = path
    this.#lastSeq = db.prepare("SELECT value FROM meta WHERE key = 'last_seq'")
    this.#setLastSeq = db.prepare("UPDATE meta SET value = ? WHERE key = 'last_seq'")
    this.#findOne = db.prepare(
      'SELECT version, updated_at, seq, resource FROM records ' +
        'WHERE patient = ? AND resource_type = ? AND resource_id = ?',
    )
    this.#upsert = db.prepare(`
      INSERT INTO records (patient, resource_type, resource_id, version, updated_at, seq, resource)
        VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (patient, resource_type, resource_id) DO UPDATE SET
        version = excluded.version, updated_at = excluded.updated_at, seq = excluded.seq, resource = excluded.resource`)
    // ?2 is NULL for "every type", else a JSON array of the types wanted; one statement
    // serves every filter. LIMIT -1 means no limit in SQLite.
    this.#query = db.prepare(`
      SELECT patient, resource_type, resource_id, version, updated_at, seq, resource FROM records
      WHERE patient = ?1 AND (?2 IS NULL OR resource_type IN (SELECT value FROM json_each(?2)))
      ORDER BY resource_type, resource_id LIMIT ?3`)
    this.#changes = db.prepare(
      'SELECT seq, patient, resource_type, resource_id, version, updated_at FROM records ' +
        'WHERE seq > ? ORDER BY seq LIMIT ?',
    )
  }

  async putMany(patient: Hex, resources: readonly FhirResource[]): Promise<PutResult[]> {
    const id = normalisePatient(patient)
    const prepared = prepareResources(resources)
    this.#assertOpen()
    if (prepared.length === 0) return []
    return this.#run('write to', () => {
      // IMMEDIATE takes the write lock first (waiting up to busy_timeout for another
      // process): seq numbers are then handed out in commit order, so a reader following
      // changesSince never sees a later seq before an earlier one.
      this.#db.exec('BEGIN IMMEDIATE')
      try {
        // Taken once the lock is held, so times follow the order of seq across processes.
        const updatedAt = new Date().toISOString()
        let seq = Number(this.#lastSeq.get()?.value ?? 0)
        const results: PutResult[] = []
        for (const {resourceType, resourceId, json} of prepared) {
          const existing = this.#findOne.get(id, resourceType, resourceId)
          if (existing && existing.resource === json) {
            results.push({
              changed: false,
              record: toStoredRecord({...existing, patient: id, resource_type: resourceType, resource_id: resourceId}),
            })
            continue
          }
          seq += 1
          const version = existing ? Number(existing.version) + 1 : 1
          this.#upsert.run(id, resourceType, resourceId, version, updatedAt, seq, json)
          results.push({
            changed: true,
            record: {
              patient: id,
              resourceType,
              resourceId,
              resource: JSON.parse(json) as FhirResource,
              version,
              updatedAt,
              seq,
            },
          })
        }
        this.#setLastSeq.run(seq)
        this.#db.exec('COMMIT')
        return results
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
        throw error
      }
    })
  }

  async query(query: RecordQuery): Promise<StoredRecord[]> {
    const {patient, resourceTypes, limit} = prepareQuery(query)
    if (resourceTypes?.length === 0) return []
    this.#assertOpen()
    return this.#run('read', () =>
      this.#query
        .all(patient, resourceTypes === null ? null : JSON.stringify(resourceTypes), limit ?? -1)
        .map((row) => toStoredRecord(row)),
    )
  }

  async changesSince(after: number, limit?: number): Promise<RecordChange[]> {
    const checked = prepareChangesSince(after, limit)
    this.#assertOpen()
    return this.#run('read', () =>
      this.#changes.all(checked.after, checked.limit).map((row) => ({
        seq: Number(row.seq),
        patient: String(row.patient) as Hex,
        resourceType: String(row.resource_type),
        resourceId: String(row.resource_id),
        version: Number(row.version),
        updatedAt: String(row.updated_at),
      })),
    )
  }

  async lastSeq(): Promise<number> {
    this.#assertOpen()
    return this.#run('read', () => Number(this.#lastSeq.get()?.value ?? 0))
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close()
  }

  #assertOpen(): void {
    if (!this.#db.isOpen) throw new Error(`The SQLite record store ${this.#path} is closed.`)
  }

  #run<T>(action: string, work: () => T): T {
    try {
      return work()
    } catch (error) {
      throw sqliteProblem(error, this.#path, action)
    }
  }
}

function toStoredRecord(row: Record<string, unknown>): StoredRecord {
  return {
    patient: String(row.patient) as Hex,
    resourceType: String(row.resource_type),
    resourceId: String(row.resource_id),
    resource: JSON.parse(String(row.resource)) as FhirResource,
    version: Number(row.version),
    updatedAt: String(row.updated_at),
    seq: Number(row.seq),
  }
}

// SQLite's primary result codes (https://sqlite.org/rescode.html) that are a problem of
// the file or the machine, not a bug in medrec.
const sqliteBusy = 5
const sqliteLocked = 6
const sqliteReadOnly = 8
const sqliteIoError = 10
const sqliteCorrupt = 11
const sqliteFull = 13
const sqliteCantOpen = 14
const sqliteNotADatabase = 26

/** Turns SQLite's expected failures into MedrecErrors that say what to do; anything else stays a bug. */
function sqliteProblem(error: unknown, path: string, action: string): unknown {
  if (error instanceof MedrecError) return error
  const errcode = (error as {errcode?: unknown}).errcode
  if ((error as {code?: unknown}).code !== 'ERR_SQLITE_ERROR' || typeof errcode !== 'number') return error
  const reason = (error as {errstr?: string}).errstr ?? (error as Error).message
  const unavailable = (hint: string) =>
    new MedrecError(errorCodes.RECORD_STORE_UNAVAILABLE, `Cannot ${action} the record store ${path}: ${reason}.`, {
      hint,
      cause: error,
    })
  switch (errcode & 0xff) {
    case sqliteBusy:
    case sqliteLocked:
      return unavailable(
        `Another process held the store's lock for more than ${busyTimeoutMs / 1000} s; ` +
          `try again, and check that no import or backup is stuck.`,
      )
    case sqliteReadOnly:
    case sqliteCantOpen:
      return unavailable(
        'Check that the directory exists and that this user may write the ' +
          'file and its directory (SQLite adds -wal and -shm files beside it).',
      )
    case sqliteIoError:
    case sqliteFull:
      return unavailable('Check the disk: it may be full or failing.')
    case sqliteCorrupt:
    case sqliteNotADatabase:
      return new MedrecError(
        errorCodes.RECORD_STORE_INVALID,
        `${path} is not a usable SQLite record store: ${reason}.`,
        {
          hint: 'Point the gatekeeper at the right file, or restore the store from a backup.',
          cause: error,
        },
      )
    default:
      return error
  }
}
