// Test support: the expected problem a service refuses with, for tests that assert its code.
import {expect} from 'vitest'

import {MedrecError} from '../medrec-error.js'

/** The MedrecError `action` rejects with; the test fails if it resolves, and any other error is rethrown. */
export async function refusal(action: Promise<unknown>): Promise<MedrecError> {
  const error = await action.then(
    () => expect.fail('expected a refusal'),
    (e: unknown) => e,
  )
  if (!(error instanceof MedrecError)) throw error
  return error
}

/** The MedrecError `run` throws; the test fails if it returns, and any other error is rethrown. */
export function thrownRefusal(run: () => unknown): MedrecError {
  try {
    run()
  } catch (error) {
    if (error instanceof MedrecError) return error
    throw error
  }
  return expect.fail('expected a refusal')
}
