import type { Knex } from 'knex';

/**
 * Runs `work` in a transaction whose COMMIT does not wait for the WAL flush (fsync).
 *
 * Safe only for writes whose loss in a database crash is harmless or repaired by a later
 * synchronous commit. WAL is sequential, so once any later transaction commits synchronously,
 * everything written before it is durable too. Two users:
 * - the Idempotency-Key claim: a request's side effects and its stored answer commit
 *   synchronously afterwards, so a claim can only be lost together with everything after it;
 * - journal batches: an observability record may lose its last fraction of a second on a crash.
 * On this class of machine an fsync costs milliseconds under load; skipping it for these keeps
 * the API p95 inside its budget without weakening "nothing acknowledged is lost".
 */
export async function withAsyncCommit<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw('set local synchronous_commit = off');
    return work(trx);
  });
}
