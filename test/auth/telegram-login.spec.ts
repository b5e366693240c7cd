import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { signTelegramLogin, dataCheckString as shopDataCheckString } from '../../sandbox/shop';
import {
  checkTelegramLogin,
  telegramDataCheckString,
  telegramLoginHash,
  TelegramLoginError,
  verifyTelegramLogin,
  type TelegramLoginCheck,
} from '../../src/auth/telegram-login';

const BOT = '7000000042:AAH-auth-spec-bot-token-0000000000000';
const NOW = new Date('2026-11-26T12:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const now = () => NOW;

function widget(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return signTelegramLogin({ id: 123456789, first_name: 'Иван', username: 'ivan_master', auth_date: NOW_S - 60, ...fields } as never, BOT);
}

function failure(check: TelegramLoginCheck): TelegramLoginError {
  assert.equal(check.ok, false, 'expected a refusal');
  return (check as { ok: false; error: TelegramLoginError }).error;
}

describe('Telegram Login Widget check', () => {
  it('accepts data signed by the shop sandbox (same algorithm as Telegram) and returns the typed user', () => {
    const data = widget({ last_name: 'Петров', photo_url: 'https://t.me/i/userpic/320/ivan.jpg' });
    const check = checkTelegramLogin(data, { botToken: BOT, now });
    assert.ok(check.ok);
    assert.deepEqual(check.user, {
      id: 123456789,
      firstName: 'Иван',
      lastName: 'Петров',
      username: 'ivan_master',
      photoUrl: 'https://t.me/i/userpic/320/ivan.jpg',
      authDate: new Date((NOW_S - 60) * 1000),
    });
    assert.equal(verifyTelegramLogin(data, { botToken: BOT, now }).id, 123456789);
  });

  it('builds the data-check-string as Telegram documents it (sorted, key=value, \\n, without hash)', () => {
    const data = { username: 'u', id: 5, hash: 'x', auth_date: 100, first_name: 'A' };
    assert.equal(telegramDataCheckString(data), 'auth_date=100\nfirst_name=A\nid=5\nusername=u');
    assert.equal(telegramDataCheckString(data), shopDataCheckString(data));
    // Independent recomputation of the documented algorithm.
    const secret = createHash('sha256').update(BOT).digest();
    assert.equal(telegramLoginHash(data, BOT), createHmac('sha256', secret).update('auth_date=100\nfirst_name=A\nid=5\nusername=u').digest('hex'));
  });

  it('accepts the same data as strings (a login_url redirect query) and an uppercase hash', () => {
    const data = widget();
    const asQuery = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)]));
    assert.ok(checkTelegramLogin(asQuery, { botToken: BOT, now }).ok);
    assert.ok(checkTelegramLogin({ ...data, hash: String(data.hash).toUpperCase() }, { botToken: BOT, now }).ok);
  });

  it('includes unknown fields in the hash (future Telegram fields work, injected ones break it)', () => {
    const data = widget({ allows_write_to_pm: true });
    assert.ok(checkTelegramLogin(data, { botToken: BOT, now }).ok);
    assert.equal(failure(checkTelegramLogin({ ...widget(), role: 'admin' }, { botToken: BOT, now })).code, 'BAD_HASH');
  });

  it('refuses altered data, a wrong bot token and a hash of the wrong length as BAD_HASH', () => {
    const data = widget();
    assert.equal(failure(checkTelegramLogin({ ...data, id: 987654321 }, { botToken: BOT, now })).code, 'BAD_HASH');
    assert.equal(failure(checkTelegramLogin({ ...data, first_name: 'Пётр' }, { botToken: BOT, now })).code, 'BAD_HASH');
    assert.equal(failure(checkTelegramLogin(data, { botToken: `${BOT}x`, now })).code, 'BAD_HASH');
    const other = signTelegramLogin({ id: 123456789, first_name: 'Иван', auth_date: NOW_S } as never, 'another-bot:token');
    assert.equal(failure(checkTelegramLogin(other, { botToken: BOT, now })).code, 'BAD_HASH');
    const e = failure(checkTelegramLogin({ ...data, hash: String(data.hash).slice(2) }, { botToken: BOT, now }));
    assert.equal(e.code, 'MALFORMED');
    assert.equal(e.field, 'hash');
  });

  it('checks the hash before the date: forged stale data is reported as forged', () => {
    const stale = widget({ auth_date: NOW_S - 10 * 86_400 });
    assert.equal(failure(checkTelegramLogin({ ...stale, first_name: 'X' }, { botToken: BOT, now })).code, 'BAD_HASH');
  });

  it('refuses stale data (default one day, configurable) and data from the future beyond the skew', () => {
    const dayOld = widget({ auth_date: NOW_S - 86_400 });
    assert.ok(checkTelegramLogin(dayOld, { botToken: BOT, now }).ok, 'exactly one day is still fresh');
    const older = widget({ auth_date: NOW_S - 86_401 });
    const stale = failure(checkTelegramLogin(older, { botToken: BOT, now }));
    assert.equal(stale.code, 'STALE');
    assert.match(stale.message, /older than one day/);
    const hourOld = widget({ auth_date: NOW_S - 3601 });
    assert.ok(checkTelegramLogin(hourOld, { botToken: BOT, now }).ok);
    assert.match(failure(checkTelegramLogin(hourOld, { botToken: BOT, now, maxAgeSeconds: 3600 })).message, /older than one hour/);

    assert.ok(checkTelegramLogin(widget({ auth_date: NOW_S + 300 }), { botToken: BOT, now }).ok, 'small clock skew is tolerated');
    assert.equal(failure(checkTelegramLogin(widget({ auth_date: NOW_S + 301 }), { botToken: BOT, now })).code, 'FUTURE');
    assert.equal(failure(checkTelegramLogin(widget({ auth_date: NOW_S + 31 }), { botToken: BOT, now, maxFutureSkewSeconds: 30 })).code, 'FUTURE');
  });

  it('uses the real clock by default', () => {
    const data = signTelegramLogin({ id: 1, first_name: 'A', auth_date: Math.floor(Date.now() / 1000) } as never, BOT);
    assert.ok(checkTelegramLogin(data, { botToken: BOT }).ok);
  });

  it('refuses malformed payloads with the offending field, never throwing', () => {
    const cases: [unknown, string | undefined][] = [
      [null, undefined],
      ['id=1', undefined],
      [[widget()], undefined],
      [{ ...widget(), id: undefined }, 'id'],
      [{ ...widget(), id: 0 }, 'id'],
      [{ ...widget(), id: -5 }, 'id'],
      [{ ...widget(), id: 1.5 }, 'id'],
      [{ ...widget(), id: '12abc' }, 'id'],
      [{ ...widget(), id: 2 ** 60 }, 'id'],
      [{ ...widget(), auth_date: 'yesterday' }, 'auth_date'],
      [{ ...widget(), hash: undefined }, 'hash'],
      [{ ...widget(), hash: 'z'.repeat(64) }, 'hash'],
      [{ ...widget(), first_name: { nested: true } }, 'first_name'],
      [{ ...widget(), 'bad\nkey': '1' }, 'bad\nkey'],
      [{ ...widget(), 'a=b': '1' }, 'a=b'],
      [{ ...widget(), photo_url: 'x'.repeat(5000) }, 'photo_url'],
      [Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}`, 'v'])), undefined],
    ];
    for (const [data, field] of cases) {
      const e = failure(checkTelegramLogin(data, { botToken: BOT, now }));
      assert.equal(e.code, 'MALFORMED', JSON.stringify(data)?.slice(0, 80));
      assert.equal(e.field, field);
      assert.ok(e instanceof TelegramLoginError);
    }
    assert.throws(() => verifyTelegramLogin({}, { botToken: BOT, now }), (e: unknown) => e instanceof TelegramLoginError && e.code === 'MALFORMED');
  });

  it('treats a missing bot token as a configuration error, not as a bad login', () => {
    assert.throws(() => checkTelegramLogin(widget(), { botToken: '', now }), TypeError);
  });

  it('ignores null fields like Telegram and the shop do', () => {
    const data = widget();
    assert.ok(checkTelegramLogin({ ...data, last_name: null }, { botToken: BOT, now }).ok);
  });
});
