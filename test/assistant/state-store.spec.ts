import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { PgChatStateStore } from '../../src/assistant/state-store';
import { createTestDatabase } from '../support/postgres';

describe('assistant: chat state in PostgreSQL (assistant_chats)', () => {
  let db: Knex;
  let drop: () => Promise<void>;
  before(async () => ({ db, drop } = await createTestDatabase('mw_test_assistant_state')));
  after(() => drop());

  it('saves, loads, updates and prunes the state of a chat (64-bit and group ids)', async () => {
    const store = new PgChatStateStore(db);
    assert.deepEqual(await store.load(1), {});
    await store.save(5_000_000_001, 5_000_000_001, { lastQuery: 'акб', dialog: { kind: 'kit', topic: 'battery', expiresAt: 1 } });
    assert.deepEqual(await store.load(5_000_000_001), { lastQuery: 'акб', dialog: { kind: 'kit', topic: 'battery', expiresAt: 1 } });
    await store.save(5_000_000_001, undefined, { lastQuery: 'дисплей' });
    const row = await db('assistant_chats').where({ chat_id: 5_000_000_001 }).first();
    assert.equal(row.telegram_user_id, '5000000001', 'kept when an update has no user');
    assert.deepEqual(row.state, { lastQuery: 'дисплей' });
    await store.save(-100123, 7, {});
    assert.deepEqual(await store.load(-100123), {});
    await db('assistant_chats').where({ chat_id: -100123 }).update({ updated_at: new Date(Date.now() - 100 * 86_400_000) });
    assert.equal(await store.pruneIdle(), 1);
    assert.equal(await store.delete(5_000_000_001), undefined);
    assert.equal((await db('assistant_chats').count('* as n'))[0]!.n, '0');
  });
});
