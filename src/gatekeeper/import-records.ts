import type {Hex} from 'viem'

import {providerIdentity} from '../consortium/provider-identity.js'
import {resolvePatientIdentity} from '../contracts/identity-reference.js'
import {networkPaths} from '../workspace/network-files.js'
import {readFhirBundleFile} from './fhir-bundle.js'
import {ensureGatekeeperDir, gatekeeperStoreSpec} from './gatekeeper-files.js'
import {openRecordStore} from './open-record-store.js'

export type ImportRecordsResult = {
  file: string
  patient: Hex
  store: 'sqlite' | 'postgres'
  resources: number
  changed: number
  unchanged: number
}

/**
 * Loads a FHIR bundle into a provider's store for one patient. The file is parsed and
 * checked in full first, and stored in one transaction, so a bad file stores nothing.
 * Works while the gatekeeper runs: it sees the changes and notifies subscribers.
 */
export async function importRecords(options: {
  dir: string
  provider: string
  file: string
  id?: string
  localId?: string
  store: 'sqlite' | 'postgres'
  sqliteFile?: string
}): Promise<ImportRecordsResult> {
  const paths = networkPaths(options.dir)
  // A local id is this provider's record number: the identity in this provider's namespace.
  const namespace = providerIdentity(options.provider)
  const patient = await resolvePatientIdentity(paths, {id: options.id, localId: options.localId}, namespace)
  const resources = await readFhirBundleFile(options.file)
  const spec = gatekeeperStoreSpec(paths, options.provider, {kind: options.store, sqliteFile: options.sqliteFile})
  if (spec.kind === 'sqlite' && options.sqliteFile === undefined) await ensureGatekeeperDir(paths, options.provider)
  const store = await openRecordStore(spec)
  try {
    const results = await store.putMany(patient, resources)
    const changed = results.filter((r) => r.changed).length
    return {
      file: options.file,
      patient,
      store: store.kind,
      resources: results.length,
      changed,
      unchanged: results.length - changed,
    }
  } finally {
    await store.close()
  }
}
