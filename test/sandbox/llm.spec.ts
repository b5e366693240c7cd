import assert from 'node:assert/strict';
import { createLlmSandbox, DEFAULT_LLM_API_KEY, type LlmSandbox } from '../../sandbox/llm';
import { startSandboxes } from '../../sandbox/registry';
import '../../sandbox/llm/register';

const KEY = DEFAULT_LLM_API_KEY;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

describe('LLM sandbox (OpenAI-compatible chat completions)', () => {
  let llm: LlmSandbox;
  let url: string;
  before(async () => {
    llm = createLlmSandbox();
    url = await llm.start();
  });
  after(() => llm.stop());
  beforeEach(() => llm.reset());

  async function chat(body: unknown, auth: string | null = `Bearer ${KEY}`, raw?: string): Promise<Answer> {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: raw ?? JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  const ask = (q: string, extra: Record<string, unknown> = {}): Promise<Answer> =>
    chat({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Ты мастер.' }, { role: 'user', content: q }], ...extra });

  it('answers a short Russian tip chosen by keywords of the last user message, in the OpenAI shape', async () => {
    const res = await ask('как заменить аккумулятор на айфон 11?');
    assert.equal(res.status, 200);
    assert.match(res.body.id, /^chatcmpl-/);
    assert.equal(res.body.object, 'chat.completion');
    assert.equal(res.body.model, 'gpt-4o-mini');
    assert.equal(typeof res.body.created, 'number');
    const [choice] = res.body.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.finish_reason, 'stop');
    assert.match(choice.message.content, /аккумулятор/i);
    assert.match(choice.message.content, /^1\) /m);
    assert.ok(res.body.usage.total_tokens === res.body.usage.prompt_tokens + res.body.usage.completion_tokens);
    assert.equal(llm.calls.length, 1);
    assert.equal(llm.calls[0].messages[1].content, 'как заменить аккумулятор на айфон 11?');
    const display = await ask('поменять дисплей');
    assert.match(display.body.choices[0].message.content, /дисплея/);
    const other = await ask('что-то непонятное');
    assert.match(other.body.choices[0].message.content, /Общий порядок/);
  });

  it('accepts content as an array of text parts', async () => {
    const res = await chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'не заряжается' }] }] });
    assert.equal(res.status, 200);
    assert.match(res.body.choices[0].message.content, /разъём зарядки/);
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const none = await ask('x').then(() => chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, null));
    assert.equal(none.status, 401);
    assert.match(none.body.error.message, /didn't provide an API key/);
    const wrong = await chat({ model: 'gpt-4o-mini', messages: [] }, 'Bearer sk-nope-1234567890');
    assert.equal(wrong.status, 401, 'authentication comes before validation');
    assert.equal(wrong.body.error.code, 'invalid_api_key');
  });

  it('validates the request like the real API', async () => {
    const model = await chat({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(model.status, 404);
    assert.equal(model.body.error.code, 'model_not_found');
    const noModel = await chat({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(noModel.status, 400);
    const noMessages = await chat({ model: 'gpt-4o-mini' });
    assert.equal(noMessages.body.error.code, 'missing_required_parameter');
    const empty = await chat({ model: 'gpt-4o-mini', messages: [] });
    assert.equal(empty.body.error.code, 'empty_array');
    const role = await chat({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'x' }] });
    assert.equal(role.body.error.param, 'messages[0].role');
    const temp = await chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], temperature: 3 });
    assert.equal(temp.body.error.param, 'temperature');
    const json = await chat(undefined, `Bearer ${KEY}`, '{"model": ');
    assert.equal(json.status, 400);
    assert.match(json.body.error.message, /could not parse the JSON body/);
    assert.equal(llm.calls.length, 0);
  });

  it('cuts the answer at max_tokens with finish_reason "length"', async () => {
    const res = await ask('дисплей', { max_tokens: 10 });
    assert.equal(res.body.choices[0].finish_reason, 'length');
    assert.ok(res.body.choices[0].message.content.length <= 40);
  });

  it('streams server-sent events when asked', async () => {
    const res = await ask('камера', { stream: true });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = res.text.split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.match(text, /Замена камеры/);
  });

  it('answers injected faults and outages with OpenAI error bodies', async () => {
    llm.setFaults({ outage: true });
    const down = await ask('x');
    assert.equal(down.status, 503);
    assert.equal(down.body.error.type, 'server_error');
    llm.setFaults({ errorRate: 1, errorStatus: 429 });
    const limited = await ask('x');
    assert.equal(limited.body.error.code, 'rate_limit_exceeded');
    llm.setFaults({});
    assert.equal((await ask('x')).status, 200);
  });

  it('can be scripted from tests and over HTTP, and lists its models', async () => {
    llm.script('редми', 'Заголовок\n1. Раз\n2. Два');
    assert.equal((await ask('редми 9а акб')).body.choices[0].message.content, 'Заголовок\n1. Раз\n2. Два');
    llm.setReplyFunction((q) => (q.includes('ссылка') ? 'См. https://example.com\n1. Шаг\n2. Шаг' : undefined));
    assert.match((await ask('дай ссылка')).body.choices[0].message.content, /https:/);
    await fetch(`${url}/__sandbox/llm/script`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ match: 'хонор', text: 'Хонор\n1. А\n2. Б' }) });
    assert.equal((await ask('хонор 10')).body.choices[0].message.content, 'Хонор\n1. А\n2. Б');
    const calls = (await (await fetch(`${url}/__sandbox/llm/calls`)).json()) as { total: number };
    assert.equal(calls.total, 3);
    const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { data: Array<{ id: string }> };
    assert.ok(models.data.some((m) => m.id === 'gpt-4o-mini'));
  });

  it('registers itself as the "llm" sandbox of the demo mode', async () => {
    const running = await startSandboxes();
    try {
      assert.ok(running.urls.llm);
      const res = await fetch(`${running.urls.llm}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'шлейф' }] }),
      });
      assert.equal(res.status, 200);
    } finally {
      await running.stop();
    }
  });
});
