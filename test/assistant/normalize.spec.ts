import assert from 'node:assert/strict';
import { normalizeNodeRedMessage, normalizeTelegramUpdate } from '../../src/assistant/normalize';

const from = { id: 555, is_bot: false, first_name: 'Иван', username: 'ivan_master', language_code: 'ru' };
const chat = { id: 555, type: 'private', first_name: 'Иван' };

describe('assistant: normalising Telegram updates', () => {
  it('telegram receiver messages: text, command, photo, location, contact, sticker', () => {
    const text = normalizeNodeRedMessage({ payload: { chatId: 555, messageId: 7, type: 'message', content: 'дисплей' }, originalMessage: { message_id: 7, from, chat, date: 1, text: 'дисплей' }, _msgid: 'm1' });
    assert.deepEqual(text, { chatId: 555, userId: 555, firstName: 'Иван', username: 'ivan_master', languageCode: 'ru', chatType: 'private', messageId: 7, correlationId: 'm1', kind: 'text', text: 'дисплей' });
    const cmd = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'message', content: '/track Z-000001' }, originalMessage: { message_id: 8, from, chat, date: 1, text: '/track Z-000001' } });
    assert.equal(cmd?.kind, 'command');
    assert.deepEqual(cmd?.kind === 'command' && [cmd.command, cmd.args], ['track', 'Z-000001']);
    const photo = normalizeNodeRedMessage({
      payload: { chatId: 555, type: 'photo', content: 'big', weblink: 'https://api.telegram.org/file/bot123:SECRET/photos/x.jpg' },
      originalMessage: { message_id: 9, from, chat, date: 1, photo: [{ file_id: 'small', width: 90, height: 90 }, { file_id: 'big', width: 1280, height: 960 }] },
    });
    assert.deepEqual(photo?.kind === 'photo' && photo.fileId, 'big');
    assert.ok(!JSON.stringify(photo).includes('SECRET'), 'the weblink with the bot token is not carried on');
    const loc = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'location', content: { latitude: 55.75, longitude: 37.61 } }, originalMessage: { message_id: 10, from, chat, date: 1, location: { latitude: 55.75, longitude: 37.61 } } });
    assert.deepEqual(loc?.kind === 'location' && [loc.latitude, loc.longitude], [55.75, 37.61]);
    const contact = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'contact' }, originalMessage: { message_id: 11, from, chat, date: 1, contact: { phone_number: '79001234567', first_name: 'Иван', user_id: 555 } } });
    assert.deepEqual(contact?.kind === 'contact' && [contact.phoneNumber, contact.contactUserId], ['79001234567', 555]);
    const sticker = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'sticker', content: 'CAAC' }, originalMessage: { message_id: 12, from, chat, date: 1, sticker: { file_id: 'CAAC' } } });
    assert.deepEqual(sticker?.kind === 'unsupported' && sticker.what, 'sticker');
  });

  it('voice: with msg.transcript from speech-to-text it is text; without, a failure', () => {
    const original = { message_id: 13, from, chat, date: 1, voice: { file_id: 'v1', duration: 2 } };
    const heard = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'voice', content: 'v1' }, originalMessage: original, transcript: ' акб редми 9а ' });
    assert.deepEqual(heard?.kind === 'voice' && [heard.transcript, heard.failure, heard.fileId], ['акб редми 9а', undefined, 'v1']);
    const failed = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'voice', content: 'v1' }, originalMessage: original, sttFailure: 'unavailable' });
    assert.deepEqual(failed?.kind === 'voice' && [failed.transcript, failed.failure], [undefined, 'unavailable']);
    // What mw-stt sends: output 1 shaped like a text message plus msg.transcript; output 2 with msg.stt.reason.
    const stt1 = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'message', content: 'дисплей', transcript: 'дисплей', source: 'voice', fileId: 'v1' }, originalMessage: original, transcript: 'дисплей', stt: { provider: 'yandex' } });
    assert.deepEqual(stt1?.kind === 'voice' && stt1.transcript, 'дисплей');
    const stt2 = normalizeNodeRedMessage({ payload: { chatId: 555, type: 'message', content: 'Не расслышал…', reason: 'too_long' }, originalMessage: original, stt: { reason: 'too_long', code: 'STT_TOO_LONG' } });
    assert.deepEqual(stt2?.kind === 'voice' && [stt2.transcript, stt2.failure], [undefined, 'too_long']);
  });

  it('telegram event node callback_query, and raw Bot API updates', () => {
    const query = { id: 'cq1', from, chat_instance: '42', data: 'add:10116', message: { message_id: 20, chat, date: 1, text: 'результаты' } };
    const cb = normalizeNodeRedMessage({ payload: { chatId: 555, messageId: 20, type: 'callback_query', content: 'add:10116', callbackQueryId: 'cq1', from }, originalMessage: query });
    assert.deepEqual(cb, { chatId: 555, userId: 555, firstName: 'Иван', username: 'ivan_master', languageCode: 'ru', kind: 'callback', callbackQueryId: 'cq1', data: 'add:10116', callbackMessageId: 20 });
    const raw = normalizeTelegramUpdate({ update_id: 99, callback_query: query });
    assert.equal(raw?.kind, 'callback');
    assert.equal(raw?.updateId, 99);
    assert.equal(normalizeTelegramUpdate({ update_id: 100, edited_message: { message_id: 1, chat, date: 1, text: 'x' } }), undefined, 'edits are not answered');
    assert.equal(normalizeTelegramUpdate({ update_id: 101, message: { message_id: 2, chat, date: 1, new_chat_members: [] } }), undefined);
  });
});
