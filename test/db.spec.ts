import assert from 'node:assert/strict';
import { createTestDatabase } from './support/postgres';

describe('database', () => {
  it('runs the migrations on a real PostgreSQL', async () => {
    const { db, drop } = await createTestDatabase();
    try {
      const row = await db.raw<{ rows: { v: string }[] }>('select version() as v');
      assert.match(row.rows[0].v, /PostgreSQL 1[5-9]/);
      assert.equal(await db.schema.hasTable('mqtt_devices'), true);
    } finally {
      await drop();
    }
  });
});
