import { PgChatStateStore } from '../assistant/state-store';
import { AUTH_HOUSEKEEPING_JOBS } from '../auth';
import { purgeExpired } from '../idempotency';
import { journalMaintenance } from '../journal';
import { purgeDelivered } from '../outbound';
import { pruneIdleBuckets } from '../ratelimit';
import type { Job } from './jobs';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The housekeeping of SPEC §3.B: key expiry, journal partitions and retention, delivered rows. */
export const HOUSEKEEPING_JOBS: readonly Job[] = [
  { name: 'idempotency-purge', everyMs: HOUR, run: (db, now) => purgeExpired(db, now) },
  { name: 'journal-maintenance', everyMs: 6 * HOUR, run: (db, now) => journalMaintenance(db, now) },
  { name: 'outbound-purge-delivered', everyMs: DAY, run: (db, now) => purgeDelivered(db, 7 * DAY, { now }) },
  { name: 'rate-limit-prune', everyMs: HOUR, run: (db) => pruneIdleBuckets(db) },
  ...AUTH_HOUSEKEEPING_JOBS,
  { name: 'assistant-chats-prune', everyMs: DAY, run: (db, now) => new PgChatStateStore(db).pruneIdle(undefined, now) },
];
