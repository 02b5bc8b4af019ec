import {mkdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {DatabaseSync} from 'node:sqlite'

import type {Address} from 'viem'

import type {FetchedRecord} from '../gatekeeper/gatekeeper-client.js'
import type {NetworkPaths} from '../workspace/network-files.js'

export type CachedRecord = FetchedRecord & {relationship: Address; block: string; fetchedAt: string}

/**
 * The patient's own copy of its records (its "light node"): one SQLite file per patient
 * key, keyed by relationship and FHIR type and id, because ids are unique only within
 * one provider. Only newer versions replace older ones.
 */
export class PatientCache {
  private readonly db: DatabaseSync

  private constructor(db: DatabaseSync) {
    this.db = db
  }

  static async open(paths: NetworkPaths, patient: string): Promise<PatientCache> {
    const file = patientCachePath(paths, patient)
    await mkdir(dirname(file), {recursive: true, mode: 0o700})
    const db = new DatabaseSync(file)
    db.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS patient_records (
        relationship TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,
        version INTEGER NOT NULL, updated_at TEXT NOT NULL, resource TEXT NOT NULL,
        block TEXT NOT NULL, fetched_at TEXT NOT NULL,
        PRIMARY KEY (relationship, resource_type, resource_id))`)
    return new PatientCache(db)
  }

  /** Stores what a gatekeeper answered; returns how many records were new or newer. */
  upsert(relationship: Address, block: string, records: FetchedRecord[]): number {
    const statement = this.db.prepare(`INSERT INTO patient_records VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (relationship, resource_type, resource_id) DO UPDATE SET
        version = excluded.version, updated_at = excluded.updated_at, resource = excluded.resource,
        block = excluded.block, fetched_at = excluded.fetched_at
      WHERE excluded.version > patient_records.version`)
    const now = new Date().toISOString()
    let changed = 0
    this.db.exec('BEGIN')
    try {
      for (const r of records) {
        changed += Number(
          statement.run(
            relationship,
            r.resourceType,
            r.resourceId,
            r.version,
            r.updatedAt,
            JSON.stringify(r.resource),
            block,
            now,
          ).changes,
        )
      }
      this.db.exec('COMMIT')
    } catch (error) {
      this.db.exec('ROLLBACK')
      throw error
    }
    return changed
  }

  list(): CachedRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM patient_records ORDER BY relationship, resource_type, resource_id')
      .all() as Record<string, string | number>[]
    return rows.map((row) => ({
      relationship: row.relationship as Address,
      resourceType: row.resource_type as string,
      resourceId: row.resource_id as string,
      version: Number(row.version),
      updatedAt: row.updated_at as string,
      seq: 0,
      resource: JSON.parse(row.resource as string) as Record<string, unknown>,
      block: row.block as string,
      fetchedAt: row.fetched_at as string,
    }))
  }

  close(): void {
    this.db.close()
  }
}

/** .medrec/patients/NAME/records.sqlite */
export function patientCachePath(paths: NetworkPaths, patient: string): string {
  return join(paths.stateDir, 'patients', patient, 'records.sqlite')
}
