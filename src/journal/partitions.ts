import type { Knex } from 'knex';

/**
 * Monthly range partitions of integration_journal (UTC months), named
 * integration_journal_pYYYYMM. Only partitions with that name are ever dropped by retention,
 * so a table someone attached by hand is never touched.
 */
export const JOURNAL_TABLE = 'integration_journal';
export const DEFAULT_PARTITION = 'integration_journal_default';
const NAME = /^integration_journal_p(\d{4})(\d{2})$/;
// Two processes starting at once must not both create the same partition.
const LOCK_KEY = "hashtext('integration_journal_partitions')";

export interface JournalPartition {
  readonly name: string;
  readonly from: Date;
  readonly to: Date;
}

export function monthStartUtc(d: Date, addMonths = 0): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + addMonths, 1));
}

export function partitionFor(d: Date): JournalPartition {
  const from = monthStartUtc(d);
  const name = `${JOURNAL_TABLE}_p${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
  return { name, from, to: monthStartUtc(d, 1) };
}

// DDL takes no bind parameters; these literals come from Date objects only, never from input.
const literal = (d: Date): string => `'${d.toISOString()}'`;

async function createPartition(trx: Knex.Transaction, p: JournalPartition): Promise<void> {
  const bounds = `for values from (${literal(p.from)}) to (${literal(p.to)})`;
  const stray = await trx.raw<{ rows: { n: string }[] }>(`select count(*) as n from ${DEFAULT_PARTITION} where ts >= ? and ts < ?`, [p.from, p.to]);
  if (Number(stray.rows[0].n) === 0) {
    await trx.raw(`create table ${p.name} partition of ${JOURNAL_TABLE} ${bounds}`);
    return;
  }
  // Rows of this month already sit in the default partition (written before the partition
  // existed). PostgreSQL refuses to create the partition over them, so move them first.
  await trx.raw(`create table ${p.name} (like ${JOURNAL_TABLE} including defaults including constraints)`);
  await trx.raw(`with moved as (delete from ${DEFAULT_PARTITION} where ts >= ? and ts < ? returning *) insert into ${p.name} select * from moved`, [p.from, p.to]);
  await trx.raw(`alter table ${JOURNAL_TABLE} attach partition ${p.name} ${bounds}`);
}

export async function listPartitions(db: Knex): Promise<JournalPartition[]> {
  const r = await db.raw<{ rows: { name: string }[] }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ?::regclass order by c.relname`,
    [JOURNAL_TABLE],
  );
  const out: JournalPartition[] = [];
  for (const { name } of r.rows) {
    const m = NAME.exec(name);
    if (m) out.push(partitionFor(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))));
  }
  return out;
}

/**
 * Creates the partitions of the current month and `monthsAhead` following months, plus one for
 * every month that has stray rows in the default partition (moving them there), so the default
 * partition stays empty and retention can drop whole months. Idempotent; returns what it created.
 */
export async function ensurePartitions(db: Knex, now: Date = new Date(), monthsAhead = 2): Promise<string[]> {
  return db.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(${LOCK_KEY})`);
    const existing = new Set((await listPartitions(trx)).map((p) => p.name));
    const wanted = new Map<string, JournalPartition>();
    for (let i = 0; i <= monthsAhead; i++) {
      const p = partitionFor(monthStartUtc(now, i));
      wanted.set(p.name, p);
    }
    const strayMonths = await trx.raw<{ rows: { m: Date }[] }>(
      `select distinct date_trunc('month', ts at time zone 'UTC') at time zone 'UTC' as m from ${DEFAULT_PARTITION}`,
    );
    for (const { m } of strayMonths.rows) {
      const p = partitionFor(m);
      wanted.set(p.name, p);
    }
    const created: string[] = [];
    for (const p of wanted.values()) {
      if (existing.has(p.name)) continue;
      await createPartition(trx, p);
      created.push(p.name);
    }
    return created;
  });
}

export interface RetentionPolicy {
  /** Bodies are nulled (hash kept) after this many days. */
  readonly bodyDays: number;
  /** Records are deleted after this many days, by whole monthly partitions. */
  readonly recordDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { bodyDays: 90, recordDays: 180 };

export interface RetentionResult {
  readonly droppedPartitions: string[];
  readonly deletedDefaultRows: number;
  readonly nulledBodies: number;
}

const DAY_MS = 86_400_000;

/**
 * The retention job. A partition is dropped only when ALL its rows are older than recordDays
 * (its upper bound has passed the cutoff), so records live at least recordDays — the spec's
 * floor — and at most about a month longer. Bodies are nulled row by row in small batches.
 */
export async function applyRetention(db: Knex, now: Date = new Date(), policy: RetentionPolicy = DEFAULT_RETENTION, batchSize = 5000): Promise<RetentionResult> {
  if (!(policy.bodyDays > 0) || !(policy.recordDays > 0) || policy.bodyDays > policy.recordDays) {
    throw new RangeError('journal retention: need 0 < bodyDays <= recordDays');
  }
  const recordCutoff = new Date(now.getTime() - policy.recordDays * DAY_MS);
  const bodyCutoff = new Date(now.getTime() - policy.bodyDays * DAY_MS);

  const droppedPartitions: string[] = [];
  for (const p of await listPartitions(db)) {
    if (p.to.getTime() > recordCutoff.getTime()) continue;
    await db.transaction(async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(${LOCK_KEY})`);
      await trx.raw(`drop table if exists ${p.name}`);
    });
    droppedPartitions.push(p.name);
  }
  const deleted = await db.raw<{ rowCount: number }>(`delete from ${DEFAULT_PARTITION} where ts < ?`, [recordCutoff]);

  let nulledBodies = 0;
  for (;;) {
    const r = await db.raw<{ rowCount: number }>(
      `update ${JOURNAL_TABLE} j set body = null
         from (select ts, id from ${JOURNAL_TABLE} where ts < ? and body is not null limit ?) old
        where j.ts = old.ts and j.id = old.id`,
      [bodyCutoff, batchSize],
    );
    nulledBodies += r.rowCount;
    if (r.rowCount < batchSize) break;
  }
  return { droppedPartitions, deletedDefaultRows: deleted.rowCount, nulledBodies };
}

/**
 * The daily journal job: partitions ahead first (so the coming month never lands in the default
 * partition), then retention. Also safe to call at start.
 */
export async function journalMaintenance(
  db: Knex,
  now: Date = new Date(),
  policy: RetentionPolicy = DEFAULT_RETENTION,
  monthsAhead = 2,
): Promise<RetentionResult & { createdPartitions: string[] }> {
  const createdPartitions = await ensurePartitions(db, now, monthsAhead);
  return { createdPartitions, ...(await applyRetention(db, now, policy)) };
}
