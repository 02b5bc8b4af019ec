import type {Hex} from 'viem'

/**
 * The gatekeeper's one small interface to a provider's database (the seed paper's
 * "modular interoperability protocol"): FHIR R4 resources as JSON, keyed by the patient's
 * opaque on-chain identifier. Implementations: sqlite-record-store.ts (default, Node's
 * built-in node:sqlite) and postgres-record-store.ts (pg). Every query is parameterised.
 */

/** A FHIR R4 resource: JSON with at least resourceType and id. */
export type FhirResource = {resourceType: string; id: string; [key: string]: unknown}

/** One stored resource. `patient` is the 0x-prefixed, lowercase bytes32 identity. */
export type StoredRecord = {
  patient: Hex
  resourceType: string
  resourceId: string
  resource: FhirResource
  /** Starts at 1; grows by one each time the resource's content changes. */
  version: number
  /** ISO-8601 time of the last change. */
  updatedAt: string
  /** The store-wide change sequence number of the last change (see changesSince). */
  seq: number
}

/** What a reader may ask for. Absent resourceTypes means every type. */
export type RecordQuery = {patient: Hex; resourceTypes?: readonly string[]; limit?: number}

/** One change, for notifications: the store-wide sequence grows with every write. */
export type RecordChange = {
  seq: number
  patient: Hex
  resourceType: string
  resourceId: string
  version: number
  updatedAt: string
}

export type PutResult = {record: StoredRecord; changed: boolean}

export type RecordStore = {
  /** Which implementation, for logs and status. */
  readonly kind: 'sqlite' | 'postgres'
  /** Inserts or replaces resources in one transaction; an unchanged resource keeps its version and seq. */
  putMany(patient: Hex, resources: readonly FhirResource[]): Promise<PutResult[]>
  /** A patient's resources, ordered by resourceType then resourceId. */
  query(query: RecordQuery): Promise<StoredRecord[]>
  /** Changes with seq > after, in seq order, at most `limit`. */
  changesSince(after: number, limit?: number): Promise<RecordChange[]>
  /** The highest seq so far (0 when empty). */
  lastSeq(): Promise<number>
  close(): Promise<void>
}
