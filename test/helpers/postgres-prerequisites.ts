import pg from 'pg'

/**
 * What the PostgreSQL record-store tests need: a server named by MEDREC_TEST_POSTGRES_URL
 * (`.ci/run` starts a throwaway one). Locally a missing URL skips them (with the reason);
 * under CI it fails the run, because CI must never skip them.
 */
export function postgresPrerequisites(): {ok: true; url: string} | {ok: false; reason: string} {
  const url = process.env.MEDREC_TEST_POSTGRES_URL
  if (url) return {ok: true, url}
  const reason = 'MEDREC_TEST_POSTGRES_URL is not set (e.g. postgres://user:password@127.0.0.1:5432/medrec_test)'
  if (process.env.CI)
    throw new Error(`The PostgreSQL tests are required under CI, but ${reason}. .ci/run starts a server for them.`)
  console.warn(`Skipping the PostgreSQL record-store tests: ${reason}`)
  return {ok: false, reason}
}

/** Drops a test's own schema and everything in it. */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)
  } finally {
    await client.end()
  }
}
