import pg from 'pg'
import type {Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {FhirResource, PutResult, RecordChange, RecordQuery, RecordStore, StoredRecord} from './record-store.js'
import {normalisePatient, prepareChangesSince, prepareQuery, prepareResources} from './record-store-input.js'

/**
 * The record store in a provider's PostgreSQL, through a `pg` pool. Same semantics as the
 * SQLite store. Its tables live in one schema (default "medrec"), created if missing, so
 * they never mix with the hospital's own tables and tests can isolate themselves.
 */

export type PostgresRecordStoreOptions = {
  /** The schema holding the store's tables: lowercase letters, digits and _, at most 63. Default "medrec". */
  schema?: string
}

export const defaultPostgresSchema = 'medrec'

const schemaVersion = 1
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/

// One fixed advisory-lock key for "creating a MedRec store schema": two gatekeepers (or
// a gatekeeper and an import) starting at once would otherwise race in CREATE TABLE.
const schemaCreationLockKey = '7236486150521331713' // "medrec\x00\x01" as a 64-bit integer

/** Opens (creating its schema and tables if needed) the PostgreSQL record store at `url`. */
export async function openPostgresRecordStore(
  url: string,
  options: PostgresRecordStoreOptions = {},
): Promise<RecordStore> {
  const target = parsePostgresUrl(url)
  const schema = options.schema ?? defaultPostgresSchema
  if (typeof schema !== 'string' || !schemaNamePattern.test(schema)) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `"${String(schema)}" is not a usable schema name for the record store.`,
      {
        hint: 'Use lowercase letters, digits and underscores (at most 63, not starting with a digit).',
      },
    )
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // A stuck lock or a runaway query must end in an error the gatekeeper can answer
    // with 503, not hold a request forever.
    statement_timeout: 60_000,
    idle_in_transaction_session_timeout: 60_000,
    // A fallback, so an application_name in the URL (e.g. one per gatekeeper) wins.
    fallback_application_name: 'medrec-gatekeeper',
  })
  // An idle pooled connection that the server drops (restart, failover, terminated
  // backend) emits 'error' on the pool; without a listener that would crash the process.
  // The pool already discards that client and the next query opens a new connection, or
  // fails with an error that reaches the caller.
  pool.on('error', () => {})
  try {
    await createSchema(pool, schema, target)
  } catch (error) {
    await pool.end().catch(() => {})
    throw connectionProblem(error, target)
  }
  return new PostgresRecordStore(pool, schema, target)
}

/** The parts of the URL that may appear in messages: never the password. */
type PostgresTarget = {user: string; where: string; password: string}

function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // The text is not echoed: it may well contain a password.
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      'The PostgreSQL URL is not a valid URL (not shown, as it may contain a password).',
      {
        hint:
          'Write it as postgres://user:password@host:5432/database; ' +
          'percent-encode special characters in the password.',
      },
    )
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `The PostgreSQL URL must start with postgres:// or postgresql://, not ${parsed.protocol}//.`,
      {
        hint: 'Write it as postgres://user:password@host:5432/database.',
      },
    )
  }
  const user = decodeURIComponent(parsed.username) || '(the default user)'
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(the default database)'
  return {
    user,
    where: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}/${database}`,
    password: decodeURIComponent(parsed.password),
  }
}

async function createSchema(pool: pg.Pool, schema: string, target: PostgresTarget): Promise<void> {
  const client = await pool.connect()
  let broken = false
  try {
    const s = pg.escapeIdentifier(schema)
    // DDL only when something is missing: CREATE ... IF NOT EXISTS still demands the
    // CREATE privilege, and a DBA may give the gatekeeper's role only DML rights on
    // tables the DBA created.
    const present = await client.query<{records: string | null; meta: string | null}>(
      'SELECT to_regclass($1) AS records, to_regclass($2) AS meta',
      [`${s}.records`, `${s}.meta`],
    )
    if (present.rows[0]?.records === null || present.rows[0]?.meta === null) {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [schemaCreationLockKey])
      const namespace = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
      if (namespace.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`)
      // COLLATE "C" orders by code point, as SQLite does, whatever the database's locale.
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${s}.meta (
          key text PRIMARY KEY,
          value bigint NOT NULL
        );
        INSERT INTO ${s}.meta (key, value) VALUES ('schema_version', ${schemaVersion}), ('last_seq', 0)
          ON CONFLICT (key) DO NOTHING;
        CREATE TABLE IF NOT EXISTS ${s}.records (
          patient text COLLATE "C" NOT NULL,
          resource_type text COLLATE "C" NOT NULL,
          resource_id text COLLATE "C" NOT NULL,
          version integer NOT NULL,
          updated_at timestamptz NOT NULL,
          seq bigint NOT NULL,
          resource jsonb NOT NULL,
          PRIMARY KEY (patient, resource_type, resource_id)
        );
        CREATE UNIQUE INDEX IF NOT EXISTS records_by_seq ON ${s}.records (seq);`)
      await client.query('COMMIT')
    }
    const version = await client.query<{value: string}>(`SELECT value FROM ${s}.meta WHERE key = 'schema_version'`)
    if (Number(version.rows[0]?.value) !== schemaVersion) {
      throw new MedrecError(
        errorCodes.RECORD_STORE_INVALID,
        `The record store in schema "${schema}" at ${target.where} has schema version ` +
          `${version.rows[0]?.value ?? 'none'}; this medrec understands version ${schemaVersion}.`,
        {
          hint: 'Use the medrec version that created the store, or give the gatekeeper a schema of its own.',
        },
      )
    }
  } catch (error) {
    broken = true
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release(broken)
  }
}

class PostgresRecordStore implements RecordStore {
  readonly kind = 'postgres' as const
  readonly #pool: pg.Pool
  readonly #target: PostgresTarget
  readonly #sql: ReturnType<typeof statements>
  #closed = false

  constructor(pool: pg.Pool, schema: string, target: PostgresTarget) {
    this.#pool = pool
    this.#target = target
    this.#sql = statements(pg.escapeIdentifier(schema))
  }

  async putMany(patient: Hex, resources: readonly FhirResource[]): Promise<PutResult[]> {
    const id = normalisePatient(patient)
    const prepared = prepareResources(resources)
    this.#assertOpen()
    if (prepared.length === 0) return []
    let client: pg.PoolClient
    try {
      client = await this.#pool.connect()
    } catch (error) {
      throw operationProblem(error, this.#target)
    }
    let broken = false
    try {
      await client.query('BEGIN')
      // The row lock on last_seq serialises writers until COMMIT, so seq numbers are
      // committed in order: with a plain sequence, a reader could see seq 11 committed
      // before seq 10 and, following changesSince, skip 10 for ever.
      const locked = await client.query<{value: string}>({name: 'medrec-lock-seq', text: this.#sql.lockLastSeq})
      let seq = Number(locked.rows[0]?.value ?? 0)
      const results: PutResult[] = []
      for (const {resourceType, resourceId, json} of prepared) {
        const written = await client.query<RecordRow>({
          name: 'medrec-upsert',
          text: this.#sql.upsert,
          values: [id, resourceType, resourceId, seq + 1, json],
        })
        const row = written.rows[0]
        if (row) {
          seq += 1
          results.push({changed: true, record: {...toStoredRecord(row), resource: JSON.parse(json) as FhirResource}})
          continue
        }
        // The WHERE of the upsert left the row alone: its content is the same.
        const existing = await client.query<RecordRow>({
          name: 'medrec-find-one',
          text: this.#sql.findOne,
          values: [id, resourceType, resourceId],
        })
        if (!existing.rows[0])
          throw new Error(`The record ${resourceType}/${resourceId} was neither written nor found.`)
        results.push({changed: false, record: toStoredRecord(existing.rows[0])})
      }
      await client.query({name: 'medrec-set-seq', text: this.#sql.setLastSeq, values: [seq]})
      await client.query('COMMIT')
      return results
    } catch (error) {
      broken = true
      await client.query('ROLLBACK').catch(() => {})
      throw operationProblem(error, this.#target, true)
    } finally {
      // A client that failed mid-transaction is dropped rather than reused.
      client.release(broken)
    }
  }

  async query(query: RecordQuery): Promise<StoredRecord[]> {
    const {patient, resourceTypes, limit} = prepareQuery(query)
    if (resourceTypes?.length === 0) return []
    const result = await this.#read<RecordRow>({
      name: 'medrec-query',
      text: this.#sql.query,
      values: [patient, resourceTypes, limit],
    })
    return result.rows.map((row) => toStoredRecord(row))
  }

  async changesSince(after: number, limit?: number): Promise<RecordChange[]> {
    const checked = prepareChangesSince(after, limit)
    const result = await this.#read<Omit<RecordRow, 'resource'>>({
      name: 'medrec-changes',
      text: this.#sql.changes,
      values: [checked.after, checked.limit],
    })
    return result.rows.map((row) => ({
      seq: Number(row.seq),
      patient: row.patient as Hex,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      version: Number(row.version),
      updatedAt: row.updated_at.toISOString(),
    }))
  }

  async lastSeq(): Promise<number> {
    const result = await this.#read<{value: string}>({name: 'medrec-last-seq', text: this.#sql.lastSeq})
    return Number(result.rows[0]?.value ?? 0)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }

  async #read<Row extends pg.QueryResultRow>(query: pg.QueryConfig): Promise<pg.QueryResult<Row>> {
    this.#assertOpen()
    try {
      return await this.#pool.query<Row>(query)
    } catch (error) {
      throw operationProblem(error, this.#target)
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`The PostgreSQL record store at ${this.#target.where} is closed.`)
  }
}

type RecordRow = {
  patient: string
  resource_type: string
  resource_id: string
  version: number
  updated_at: Date
  seq: string
  resource: FhirResource
}

/** Every statement the store runs; values are always bound parameters, the schema name is quoted once. */
function statements(s: string) {
  const columns = 'patient, resource_type, resource_id, version, updated_at, seq'
  return {
    lockLastSeq: `SELECT value FROM ${s}.meta WHERE key = 'last_seq' FOR UPDATE`,
    setLastSeq: `UPDATE ${s}.meta SET value = $1 WHERE key = 'last_seq'`,
    lastSeq: `SELECT value FROM ${s}.meta WHERE key = 'last_seq'`,
    // The WHERE leaves an unchanged resource alone (no row returned): same version, same seq.
    upsert: `
      INSERT INTO ${s}.records AS r (${columns}, resource) VALUES ($1, $2, $3, 1, now(), $4, $5::jsonb)
      ON CONFLICT (patient, resource_type, resource_id) DO UPDATE SET
        version = r.version + 1, updated_at = excluded.updated_at, seq = excluded.seq, resource = excluded.resource
      WHERE r.resource IS DISTINCT FROM excluded.resource
      RETURNING ${columns}`,
    findOne:
      `SELECT ${columns}, resource FROM ${s}.records WHERE ` +
      `patient = $1 AND resource_type = $2 AND resource_id = $3`,
    // $2 NULL means every type; LIMIT NULL means no limit.
    query: `
      SELECT ${columns}, resource FROM ${s}.records
      WHERE patient = $1 AND ($2::text[] IS NULL OR resource_type = ANY ($2::text[]))
      ORDER BY resource_type, resource_id LIMIT $3`,
    changes: `SELECT ${columns} FROM ${s}.records WHERE seq > $1 ORDER BY seq LIMIT $2`,
  }
}

function toStoredRecord(row: RecordRow): StoredRecord {
  return {
    patient: row.patient as Hex,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    resource: row.resource,
    version: Number(row.version),
    updatedAt: row.updated_at.toISOString(),
    seq: Number(row.seq),
  }
}

/** Why the first connection failed, in words a person running the gatekeeper can act on. */
function connectionProblem(error: unknown, target: PostgresTarget): unknown {
  if (error instanceof MedrecError) return error
  const code = (error as {code?: unknown}).code
  const reason = scrub(error instanceof Error ? error.message : String(error), target)
  const unavailable = (message: string, hint: string) =>
    new MedrecError(errorCodes.RECORD_STORE_UNAVAILABLE, message, {hint, cause: error})
  switch (code) {
    case 'ECONNREFUSED':
      return unavailable(
        `No PostgreSQL server answers at ${target.where}.`,
        'Start the database server, or correct the host and port in the URL.',
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return unavailable(
        `The host of the PostgreSQL URL (${target.where}) cannot be resolved.`,
        "Check the host name in the URL and this machine's DNS.",
      )
    case '28P01':
      return unavailable(
        `PostgreSQL at ${target.where} refused the password of user "${target.user}".`,
        'Check the user name and password in the URL (the password is ' +
          'not shown); special characters in it must be percent-encoded.',
      )
    case '28000':
      return unavailable(
        `PostgreSQL at ${target.where} does not let user "${target.user}" connect: ${reason}.`,
        'Ask the database administrator to allow this user and host (pg_hba.conf).',
      )
    case '3D000':
      return unavailable(
        `The database in ${target.where} does not exist.`,
        'Create it (createdb), or correct the database name at the end of the URL.',
      )
    case '42501':
      return new MedrecError(
        errorCodes.RECORD_STORE_UNAVAILABLE,
        `User "${target.user}" may not create the record store's schema or tables at ${target.where}: ${reason}.`,
        {
          hint:
            'Grant the user CREATE on the database, or have an ' +
            'administrator run the gatekeeper once with a user that may.',
          cause: error,
        },
      )
    default:
      if (isConnectionFailure(error))
        return unavailable(
          `Cannot connect to PostgreSQL at ${target.where}: ${reason}.`,
          "Check that the server is running and reachable, and the URL's host, port, user and database.",
        )
      return error
  }
}

/**
 * A failure of a running store: a lost connection or an overloaded server is
 * RECORD_STORE_UNAVAILABLE (the gatekeeper answers 503); data PostgreSQL refuses is the
 * caller's INVALID_ARGUMENT; anything else is a bug and stays as it is.
 */
function operationProblem(error: unknown, target: PostgresTarget, writing = false): unknown {
  if (error instanceof MedrecError) return error
  const code = (error as {code?: unknown}).code
  const reason = scrub(error instanceof Error ? error.message : String(error), target)
  if (writing && error instanceof pg.DatabaseError && typeof code === 'string' && code.startsWith('22')) {
    return new MedrecError(errorCodes.INVALID_ARGUMENT, `PostgreSQL refused a resource: ${reason}.`, {
      hint: 'Check the resources for values PostgreSQL cannot store; nothing was written.',
      cause: error,
    })
  }
  if (isConnectionFailure(error)) {
    return new MedrecError(
      errorCodes.RECORD_STORE_UNAVAILABLE,
      `The PostgreSQL record store at ${target.where} is unavailable: ${reason}.`,
      {
        hint: 'Check that the database server is running and reachable; the request can be retried.',
        cause: error,
      },
    )
  }
  return error
}

// SQLSTATE classes of a server or connection in trouble: 08 connection exception,
// 53 insufficient resources, 57 operator intervention (shutdown, statement timeout),
// 58 system error, 40 transaction rollback (serialisation failure, deadlock).
const unavailableClasses = ['08', '53', '57', '58', '40']

function isConnectionFailure(error: unknown): boolean {
  if (error instanceof pg.DatabaseError)
    return typeof error.code === 'string' && unavailableClasses.includes(error.code.slice(0, 2))
  // Network errors carry an errno code (ECONNRESET...). pg reports a dropped connection
  // or a connect timeout as a plain Error; TypeErrors and the like remain bugs.
  if (typeof (error as {code?: unknown}).code === 'string') return true
  return error instanceof Error && Object.getPrototypeOf(error) === Error.prototype
}

/** pg's messages do not contain the password; this makes sure of it. */
function scrub(message: string, target: PostgresTarget): string {
  return target.password.length > 0 ? message.replaceAll(target.password, '***') : message
}
