import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { toJournalRow } from '../../src/journal/entry';
import { maskJournalText, maskJournalValue } from '../../src/journal/redact';

describe('journal: masking and row building', () => {
  it('masks phones, addresses, e-mails, tokens and recognisable full names in free text', () => {
    const text =
      'Курьер Петров Сергей Иванович, тел. +7 (912) 345-67-89, адрес: ул. Ленина, д. 5, кв. 12; ' +
      'mail ivan.petrov@example.ru; Authorization: Bearer abc.def-123; ' +
      'url https://api.telegram.org/bot123456789:AAEhBP0av28tBp0a3MEdBIsCDpiZ6vqYwKE/sendMessage; ' +
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig; принял Смирнова А. С.';
    const masked = maskJournalText(text);
    for (const leaked of ['345-67', 'Ленина, д. 5', 'ivan.petrov', 'abc.def-123', 'AAEhBP0av28t', 'eyJzdWIi', 'Петров Сергей', 'Смирнова А']) {
      assert.ok(!masked.includes(leaked), `${leaked} leaked: ${masked}`);
    }
    assert.match(masked, /\*\*-89/);
    assert.match(masked, /\*\*\*@example\.ru/);
    assert.match(masked, /\[ФИО скрыто\]/);
  });

  it('masks person fields of Telegram and Bitrix24 payloads, keeps product data', () => {
    const masked = maskJournalValue({
      message: { from: { id: 42, first_name: 'Иван', last_name: 'Петров', username: 'ivanp' }, contact: { phone_number: '79123456789' } },
      fields: { TITLE: 'Возврат дисплея iPhone 11', LAST_NAME: 'Сидоров', PHONE: [{ VALUE: '+79001234567' }] },
      delivery: { address: 'г. Москва, ул. Тверская, 7', lat: 55.76, lng: 37.6 },
      items: [{ sku: 'DSP-IP11-OLED', name: 'Дисплей iPhone 11 OLED', qty: 2 }],
    }) as Record<string, any>;
    assert.equal(masked.message.from.first_name, '[скрыто]');
    assert.equal(masked.message.from.last_name, '[скрыто]');
    assert.equal(masked.message.from.username, '[скрыто]');
    assert.equal(masked.message.from.id, 42);
    assert.equal(masked.message.contact.phone_number, '[скрыто]');
    assert.equal(masked.fields.LAST_NAME, '[скрыто]');
    assert.equal(masked.fields.PHONE, '[скрыто]');
    assert.equal(masked.fields.TITLE, 'Возврат дисплея iPhone 11');
    assert.equal(masked.delivery.address, '[скрыто]');
    assert.equal(masked.delivery.lat, '[скрыто]');
    assert.deepEqual(masked.items, [{ sku: 'DSP-IP11-OLED', name: 'Дисплей iPhone 11 OLED', qty: 2 }]);
  });

  it('hashes the original body and stores the masked copy; bodies over the limit as hash only', () => {
    const body = { comment: 'позвонить 8 912 345 67 89', sku: 'BAT-RN9' };
    const row = toJournalRow({ system: 'shop', operation: 'order.create', direction: 'out', status: 'ok', body });
    const original = JSON.stringify(body);
    assert.equal(row.body_sha256, createHash('sha256').update(original).digest('hex'));
    assert.equal(row.body_bytes, Buffer.byteLength(original));
    assert.ok(row.body && !row.body.includes('345 67') && row.body.includes('BAT-RN9'));

    const big = toJournalRow({ system: 'shop', operation: 'catalog', direction: 'in', status: 'ok', body: { blob: 'x'.repeat(2000) } }, 1000);
    assert.equal(big.body, null);
    assert.match(big.body_sha256 ?? '', /^[0-9a-f]{64}$/);

    const hashOnly = toJournalRow({ system: 's', operation: 'o', direction: 'in', status: 'ok', body: 'secret', bodyMode: 'hash' });
    assert.equal(hashOnly.body, null);
    assert.equal(hashOnly.body_sha256, createHash('sha256').update('secret').digest('hex'));
    const none = toJournalRow({ system: 's', operation: 'o', direction: 'in', status: 'ok', body: 'secret', bodyMode: 'none' });
    assert.equal(none.body_sha256, null);
    const voice = toJournalRow({ system: 'stt', operation: 'recognize', direction: 'out', status: 'ok', body: Buffer.from([1, 2, 3]) });
    assert.equal(voice.body, null, 'binary bodies are hashed, not stored');
    assert.equal(voice.body_bytes, 3);
  });

  it('parses JSON text bodies so their fields are masked, and makes NUL characters storable', () => {
    const row = toJournalRow({ system: '1c', operation: 'changes', direction: 'in', status: 'ok', body: '{"phone":"+79123456789","name":"Акб\\u0000"}' });
    assert.deepEqual(JSON.parse(row.body!), { phone: '[скрыто]', name: 'Акб\ufffd' });
    const text = toJournalRow({ system: 'tg', operation: 'send', direction: 'out', status: 'ok', body: 'chat_id=1&text=звоните +79123456789' });
    assert.ok(!JSON.parse(text.body!).includes('3456789'));
  });

  it('validates entries and masks error texts', () => {
    assert.throws(() => toJournalRow({ system: '', operation: 'o', direction: 'in', status: 'ok' }), /system/);
    assert.throws(() => toJournalRow({ system: 's', operation: 'o', direction: 'sideways' as 'in', status: 'ok' }), /direction/);
    const row = toJournalRow({ system: 's', operation: 'o', direction: 'in', status: 'error', httpStatus: 777, attempt: 0, error: new Error('bad phone +79123456789') });
    assert.equal(row.http_status, null);
    assert.equal(row.attempt, 1);
    assert.ok(row.error && !row.error.includes('3456789'));
  });
});
