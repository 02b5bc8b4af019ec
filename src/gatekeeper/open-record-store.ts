import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {openPostgresRecordStore} from './postgres-record-store.js'
import type {RecordStore} from './record-store.js'
import {openSqliteRecordStore} from './sqlite-record-store.js'

/** Where a gatekeeper keeps its records: a SQLite file (the default) or a PostgreSQL database. */
export type RecordStoreSpec = {kind: 'sqlite'; path: string} | {kind: 'postgres'; url: string; schema?: string}

/** Opens the record store the spec names, creating its tables if they are missing. */
export async function openRecordStore(spec: RecordStoreSpec): Promise<RecordStore> {
  switch (spec.kind) {
    case 'sqlite':
      return openSqliteRecordStore(spec.path)
    case 'postgres':
      return openPostgresRecordStore(spec.url, spec.schema === undefined ? {} : {schema: spec.schema})
    default:
      throw new MedrecError(
        errorCodes.INVALID_ARGUMENT,
        `Unknown record store kind "${String((spec as {kind?: unknown}).kind)}".`,
        {
          hint: 'Use "sqlite" (a file) or "postgres" (a database URL).',
        },
      )
  }
}
