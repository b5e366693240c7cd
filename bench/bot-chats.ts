/**
 * Load benchmark of «Ассистент мастера»: many masters searching for parts in the bot at once.
 *
 *   npm run bench:bot -- [--chats 50] [--seconds 40] [--think-min 2000] [--think-max 4000]
 *                        [--b2b-seconds 12] [--timeout-ms 15000] [--seed 11]
 *                        [--outbox-global-per-second N]   (diagnostic, see below)
 *
 * (Without the npm script: node --import tsx bench/bot-chats.ts …; the nodes must be built,
 * `npm run build`.)
 *
 * The middleware runs as a child in demo mode (bench/support/demo-child.ts): the Telegram Bot API
 * sandbox, the shop sandbox (whose catalog, test/fixtures/catalog.jsonl, is synced at start), STT
 * and LLM all run inside the child, and the real flow flows/assistent-mastera.json answers —
 * telegram receiver (long polling, poll interval 300 ms) → mw-assistant → mw-telegram-send.
 *
 * Each simulated master has its own chat and sends search queries generated from the catalog
 * fixture (part-type words + model names, slang, typos, wrong layout, codes, models not stocked:
 * bench/search-queries.ts, not the golden set), one at a time: the next query only after the
 * reply to the previous one has arrived.
 *
 * Phases (fresh chat ids each, so the per-user rate limit of 20 messages/min starts full):
 * - realistic: after each reply the master reads it for think-min…think-max ms (default 2–4 s).
 *   This is the phase the p95 ≤ 300 ms target is checked against.
 * - back-to-back (--b2b-seconds, 0 skips it): no reading time, to show what the outbox's pacing
 *   (≈1 message/s per chat, burst 3; ≈30/s over all chats) does to the first reply of a turn.
 *   Kept short: masters this fast would hit the 20/min per-user rate limit after ~20 queries.
 *
 * What is measured, per turn, from the sandbox's own request log (GET /__sandbox/requests, times
 * stamped by the sandbox when a Bot API request arrives):
 * - handed out: when getUpdates gave the update to the bot. The getUpdates call that delivered
 *   update U is the last one with offset ≤ U (the next one confirms it). If that call arrived
 *   after the user's message, the update was handed out when it arrived (it is answered at
 *   once); if it was already waiting (long poll), it was answered when the message came in —
 *   the sandbox has no millisecond stamp of that, so the bench uses the moment it sent the
 *   control-API request (an upper bound of the middleware time, by the request's own transit).
 * - reply sent: when the bot's first sendMessage to that chat after the user's message arrived.
 * - middleware_ms = reply sent − handed out: the update parsed by the telegram node, the
 *   assistant (chat state and rate limit in PostgreSQL, catalog search in the worker, state
 *   saved), the outbox (including any pacing hold) and the HTTP call to the Bot API.
 * Also reported: poll_wait_ms (user message → handed out: the 300 ms poll interval of the
 * telegram node) and end_to_end_ms (control-API request → reply seen by the bench's long poll),
 * what a master would feel minus Telegram's own network.
 *
 * Pacing: mw-telegram-send's outbox holds a message when the chat's bucket (1/s, burst 3) or
 * the bucket over all chats (globalPerSecond 30) is empty; that hold is inside middleware_ms.
 * turns_within_1050ms_of_previous_reply counts the turns where the per-chat limit could apply;
 * turns_with_several_sends those where the sandbox answered 429 and the reply was sent again (or
 * a late reply of an earlier turn came in). `--outbox-global-per-second N` is a diagnostic: it
 * sets globalPerSecond in the child's copy of the flow (0 turns the global bucket off) to
 * separate the outbox's pacing from the rest of the middleware time; the report says so.
 *
 * The report is printed as JSON and saved to bench/results/bot-chats-<time>.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../src/config';
import type { CatalogItem } from '../src/search/types';
import type { TgMessage, TgUpdate } from '../sandbox/telegram';
import { generateQueries } from './search-queries';
import { percentile } from './support/child';
import { hasAddButton, processTreeCpuSeconds, processTreeRssMb, readMetrics, startDemoChild, tgControl, waitForCatalogSearch, type DemoChild } from './support/demo-child';

interface Args {
  chats: number;
  seconds: number;
  thinkMin: number;
  thinkMax: number;
  b2bSeconds: number;
  timeoutMs: number;
  seed: number;
  /** Diagnostic: mw-telegram-send's globalPerSecond in the child's copy of the flow (0 = off). */
  outboxGlobalPerSecond: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0`);
    return v;
  };
  const args = {
    chats: get('chats', 50),
    seconds: get('seconds', 40),
    thinkMin: get('think-min', 2000),
    thinkMax: get('think-max', 4000),
    b2bSeconds: get('b2b-seconds', 12),
    timeoutMs: get('timeout-ms', 15_000),
    seed: get('seed', 11),
    outboxGlobalPerSecond: argv.includes('--outbox-global-per-second') ? get('outbox-global-per-second', 30) : undefined,
  };
  if (args.thinkMax < args.thinkMin) args.thinkMax = args.thinkMin;
  return args;
}

// ── the sandbox's request log ─────────────────────────────────────────────────────────────

interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

interface BotCall {
  at: number;
  method: string;
  params: Record<string, unknown>;
  /** The harness fills in the body once the answer has been sent. */
  bodyKnown: boolean;
}

async function botCalls(telegramUrl: string): Promise<{ calls: BotCall[]; total: number }> {
  const res = await fetch(`${telegramUrl}/__sandbox/requests`);
  const { requests } = (await res.json()) as { requests: RecordedRequest[] };
  const calls = requests
    .map((r) => {
      const m = /^\/bot[^/]+\/(?:test\/)?([A-Za-z]+)$/.exec(r.path);
      if (!m) return undefined;
      const body = r.body && typeof r.body === 'object' ? (r.body as Record<string, unknown>) : {};
      return { at: Date.parse(r.at), method: m[1]!.toLowerCase(), params: { ...r.query, ...body }, bodyKnown: r.body !== undefined && r.body !== null };
    })
    .filter((c): c is BotCall => c !== undefined)
    .sort((a, b) => a.at - b.at);
  return { calls, total: requests.length };
}

// ── one simulated master ──────────────────────────────────────────────────────────────────────

interface Turn {
  chatId: number;
  seq: number;
  query: string;
  updateId: number;
  postStart: number;
  postEnd: number;
  replySeen?: number;
  reply?: TgMessage;
  error?: string;
}

const ERROR_REPLY = /временно недоступен|Что-то пошло не так|Слишком часто|Магазин сейчас не отвечает/;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function runMaster(
  telegramUrl: string,
  chatId: number,
  queries: string[],
  deadline: number,
  think: () => number,
  args: Args,
  turns: Turn[],
  firstDelayMs: number,
): Promise<void> {
  await sleep(firstDelayMs);
  let seq = 0;
  while (Date.now() < deadline) {
    const query = queries[seq % queries.length]!;
    const postStart = Date.now();
    let turn: Turn | undefined;
    try {
      const sent = await tgControl<{ update: TgUpdate; message: TgMessage }>(telegramUrl, '/messages', { chatId, text: query, firstName: `Мастер ${chatId % 1000}` });
      turn = { chatId, seq, query, updateId: sent.update.update_id, postStart, postEnd: Date.now() };
      turns.push(turn);
      const waited = await tgControl<{ timedOut: boolean; messages: TgMessage[] }>(
        telegramUrl,
        `/chats/${chatId}/wait?afterMessageId=${sent.message.message_id}&timeoutMs=${args.timeoutMs}`,
      );
      if (waited.timedOut || waited.messages.length === 0) {
        turn.error = `no reply in ${args.timeoutMs} ms`;
      } else {
        turn.replySeen = Date.now();
        turn.reply = waited.messages[0];
      }
    } catch (error) {
      // The control API failed (the child is overloaded or gone): count it and carry on.
      if (turn) turn.error = (error as Error).message;
      else turns.push({ chatId, seq, query, updateId: -1, postStart, postEnd: Date.now(), error: (error as Error).message });
      await sleep(1000);
    }
    seq++;
    const pause = think();
    if (pause > 0) await sleep(pause);
  }
}

// ── analysis ──────────────────────────────────────────────────────────────────────────────────

interface Timed {
  turn: Turn;
  handedOut: number;
  handedOutLow: number;
  sent: number;
  middleware: number;
  middlewareLow: number;
  pollWait: number;
  endToEnd: number;
  /** ms since the bot's previous message to this chat was sent (pacing applies under ≈1050 ms). */
  sincePreviousSend: number | undefined;
  /** sendMessage calls to the chat in this turn: > 1 after a 429 from the sandbox, or when a late reply of an earlier turn came in too. */
  attempts: number;
  /** First sendMessage attempt − handed out. */
  firstAttempt: number;
}

function stats(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s[s.length - 1] ?? NaN),
    mean: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

function analyse(turns: Turn[], calls: BotCall[]): { timed: Timed[]; unmatched: number } {
  // A getUpdates still waiting when the log was read has no body yet and delivered nothing.
  const polls = calls.filter((c) => c.method === 'getupdates' && c.bodyKnown).map((c) => ({ at: c.at, offset: Number(c.params.offset ?? 0) }));
  const sendsByChat = new Map<number, number[]>();
  for (const c of calls) {
    if (c.method !== 'sendmessage') continue;
    const chatId = Number(c.params.chat_id);
    if (!sendsByChat.has(chatId)) sendsByChat.set(chatId, []);
    sendsByChat.get(chatId)!.push(c.at);
  }
  const timed: Timed[] = [];
  let unmatched = 0;
  for (const turn of turns) {
    if (!turn.reply || turn.replySeen === undefined) continue;
    // The getUpdates that delivered the update: the last one whose offset did not confirm it yet.
    let poll: { at: number; offset: number } | undefined;
    for (const p of polls) if (p.offset <= turn.updateId) poll = p;
    // The bot's sendMessage calls to this chat between the user's message and the reply seen:
    // one per turn, more when the sandbox answered 429 and the outbox tried again — the last one
    // is the reply that was delivered.
    const sends = sendsByChat.get(turn.chatId) ?? [];
    const firstIndex = sends.findIndex((at) => at >= turn.postStart);
    let sentIndex = -1;
    for (let i = Math.max(0, firstIndex); firstIndex >= 0 && i < sends.length && sends[i]! <= turn.replySeen; i++) sentIndex = i;
    if (!poll || sentIndex < 0) {
      unmatched++;
      continue;
    }
    const sent = sends[sentIndex]!;
    const handedOut = Math.max(poll.at, turn.postStart);
    const handedOutLow = Math.max(poll.at, turn.postEnd);
    timed.push({
      turn,
      handedOut,
      handedOutLow,
      sent,
      middleware: sent - handedOut,
      middlewareLow: sent - handedOutLow,
      pollWait: handedOut - turn.postStart,
      endToEnd: turn.replySeen - turn.postStart,
      sincePreviousSend: firstIndex > 0 ? handedOut - sends[firstIndex - 1]! : undefined,
      attempts: sentIndex - firstIndex + 1,
      firstAttempt: sends[firstIndex]! - handedOut,
    });
  }
  return { timed, unmatched };
}

// ── a phase ───────────────────────────────────────────────────────────────────────────────────

interface PhaseOptions {
  name: string;
  seconds: number;
  thinkMin: number;
  thinkMax: number;
  firstChatId: number;
}

async function runPhase(demo: DemoChild, args: Args, phase: PhaseOptions, queries: string[]): Promise<Record<string, unknown>> {
  const tg = demo.urls.telegram;
  const refusedBefore = (await tgControl<{ refused: Record<string, number> }>(tg, '/state')).refused;
  const metricsBefore = await readMetrics(demo);
  const random = mulberry(args.seed + phase.firstChatId);
  const think = (): number => phase.thinkMin + random() * (phase.thinkMax - phase.thinkMin);
  const turns: Turn[] = [];

  let peakRss = demo.child.rssMb();
  let peakTreeRss = processTreeRssMb(demo.child.process.pid!);
  const cpuStart = process.cpuUsage();
  const childCpuStart = processTreeCpuSeconds(demo.child.process.pid!);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, demo.child.rssMb());
    peakTreeRss = Math.max(peakTreeRss, processTreeRssMb(demo.child.process.pid!));
  }, 250);
  const loadBefore = os.loadavg()[0];

  const started = Date.now();
  const deadline = started + phase.seconds * 1000;
  // The masters start within the first second (not in one instant), then run on their own.
  await Promise.all(
    Array.from({ length: args.chats }, (_, i) => {
      const chatId = phase.firstChatId + i;
      const own = Array.from({ length: 200 }, (_, k) => queries[(i * 37 + k * 11) % queries.length]!);
      return runMaster(tg, chatId, own, deadline, think, args, turns, Math.floor(random() * 1000));
    }),
  );
  const finished = Date.now();
  const childCpuEnd = processTreeCpuSeconds(demo.child.process.pid!);
  clearInterval(sampler);
  loop.disable();
  // Let the bot's next getUpdates confirm the last updates, then read the sandbox's log.
  await sleep(1500);
  // The sandbox keeps its last 10 000 requests; this phase's and the long poll running into it.
  const { calls: all, total } = await botCalls(tg);
  const calls = all.filter((c) => c.at >= started - 11_000);
  const refusedAfter = (await tgControl<{ refused: Record<string, number> }>(tg, '/state')).refused;
  const metricsAfter = await readMetrics(demo);
  const delta = (key: string): number => (metricsAfter[key] ?? 0) - (metricsBefore[key] ?? 0);

  const { timed, unmatched } = analyse(turns, calls);
  const replied = turns.filter((t) => t.reply);
  const errorReplies = replied.filter((t) => ERROR_REPLY.test(t.reply!.text ?? ''));
  const failed = turns.filter((t) => t.error);
  // Inside the per-chat pacing window: the previous reply to this chat went out less than 1.05 s
  // (the outbox's interval: 1 s + 50 ms margin) before this update was handed out.
  const inWindow = timed.filter((t) => t.sincePreviousSend !== undefined && t.sincePreviousSend < 1050);
  const retried = timed.filter((t) => t.attempts > 1);
  const middleware = stats(timed.map((t) => t.middleware));
  const sendsPerSecond = calls.filter((c) => c.method === 'sendmessage').length / ((finished - started) / 1000);

  return {
    phase: phase.name,
    chats: args.chats,
    seconds: Math.round((finished - started) / 100) / 10,
    think_ms: [phase.thinkMin, phase.thinkMax],
    turns: turns.length,
    replies: replied.length,
    throughput_replies_per_s: Math.round((replied.length / ((finished - started) / 1000)) * 10) / 10,
    bot_sendmessage_per_s: Math.round(sendsPerSecond * 10) / 10,
    replies_with_items: replied.filter((t) => hasAddButton(t.reply)).length,
    replies_nothing_found_or_other: replied.filter((t) => !hasAddButton(t.reply) && !ERROR_REPLY.test(t.reply!.text ?? '')).length,
    errors: {
      no_reply_or_request_failed: failed.length,
      error_replies: errorReplies.length,
      error_reply_examples: [...new Set(errorReplies.map((t) => (t.reply!.text ?? '').slice(0, 80)))].slice(0, 3),
      failure_examples: [...new Set(failed.map((t) => t.error))].slice(0, 3),
      sandbox_refused_429: Object.fromEntries(Object.entries(refusedAfter).map(([k, v]) => [k, v - (refusedBefore[k] ?? 0)])),
      outbox_retry: delta('outbound_deliveries_total{destination="telegram",outcome="retry"}'),
      outbox_dead: delta('outbound_deliveries_total{destination="telegram",outcome="dead"}') + delta('outbound_deliveries_total{destination="telegram",outcome="needs_human"}'),
    },
    middleware_ms: middleware,
    middleware_ms_lower_bound: stats(timed.map((t) => t.middlewareLow)),
    middleware_ms_to_first_send_attempt: stats(timed.map((t) => t.firstAttempt)),
    middleware_ms_sent_first_time: stats(timed.filter((t) => t.attempts === 1).map((t) => t.middleware)),
    middleware_ms_several_sends: stats(retried.map((t) => t.middleware)),
    turns_with_several_sends: retried.length,
    turns_within_1050ms_of_previous_reply: inWindow.length,
    handed_out_to_waiting_poll: timed.filter((t) => t.handedOut === t.turn.postStart).length,
    poll_wait_ms: stats(timed.map((t) => t.pollWait)),
    end_to_end_ms: stats(timed.map((t) => t.endToEnd)),
    unmatched_turns: unmatched,
    sandbox_requests_logged: total,
    sandbox_log_may_have_overflowed: total >= 10_000,
    target_p95_le_300ms: middleware.p95 <= 300,
    peak_rss_mb: { middleware_process: Math.round(peakRss), with_postgres: Math.round(peakTreeRss) },
    // 100 % = one CPU core busy for the whole phase (the host has os.cpus().length cores).
    child_cpu_percent: {
      middleware_process: Math.round(((childCpuEnd.process - childCpuStart.process) / ((finished - started) / 1000)) * 100),
      with_postgres: Math.round(((childCpuEnd.tree - childCpuStart.tree) / ((finished - started) / 1000)) * 100),
    },
    bench_event_loop_p99_ms: Math.round(loop.percentile(99) / 1e5) / 10,
    bench_cpu_s: Math.round((process.cpuUsage(cpuStart).user + process.cpuUsage(cpuStart).system) / 1e5) / 10,
    host_load_1m: { before: Math.round(loadBefore * 100) / 100, after: Math.round(os.loadavg()[0] * 100) / 100 },
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const items = readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'catalog.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CatalogItem);
  const queries = generateQueries(items, 2000, args.seed);

  const loadAtStart = os.loadavg()[0];
  const outboxGlobal = args.outboxGlobalPerSecond;
  const demo = await startDemoChild(
    outboxGlobal === undefined
      ? {}
      : {
          // Diagnostic only: the child's copy of the flow gets another global limit for the outbox.
          patchFlows: async (flowsDir) => {
            const file = path.join(flowsDir, 'assistent-mastera.json');
            const nodes = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>;
            for (const node of nodes) if (node.type === 'mw-telegram-send') node.globalPerSecond = outboxGlobal;
            await writeFile(file, JSON.stringify(nodes, null, 2));
          },
        },
  );
  try {
    console.error(`middleware ${demo.child.baseUrl}, Telegram sandbox ${demo.urls.telegram}; waiting for the catalog…`);
    const warm = await waitForCatalogSearch(demo.urls.telegram);
    console.error(`catalog searchable after ${warm.ms} ms (${warm.turns} warm-up turns)`);
    const idleRss = demo.child.rssMb();

    const phases: Record<string, unknown>[] = [];
    const realistic = await runPhase(demo, args, { name: 'realistic', seconds: args.seconds, thinkMin: args.thinkMin, thinkMax: args.thinkMax, firstChatId: 7_100_001 }, queries);
    phases.push(realistic);
    console.error(`realistic: ${JSON.stringify({ middleware_ms: realistic.middleware_ms, replies_per_s: realistic.throughput_replies_per_s, errors: realistic.errors })}`);
    if (args.b2bSeconds > 0) {
      const b2b = await runPhase(demo, args, { name: 'back-to-back', seconds: args.b2bSeconds, thinkMin: 0, thinkMax: 0, firstChatId: 7_200_001 }, queries);
      phases.push(b2b);
      console.error(`back-to-back: ${JSON.stringify({ middleware_ms: b2b.middleware_ms, replies_per_s: b2b.throughput_replies_per_s, several_sends: b2b.turns_with_several_sends })}`);
    }

    const report = {
      bench: 'bot-chats',
      when: new Date().toISOString(),
      args,
      host: { cpus: os.cpus().length, load_1m_at_start: Math.round(loadAtStart * 100) / 100, node: process.version },
      measured:
        'middleware_ms = Bot API sendMessage (first reply of the turn) arrived at the sandbox − getUpdates handed the update out; ' +
        'sandbox timestamps; for an update that woke a waiting long poll the bench\'s own send time of the user message is used (upper bound). ' +
        'middleware_ms_lower_bound uses the control-API answer instead. poll_wait_ms = user message → handed out (telegram node polls every 300 ms). ' +
        'end_to_end_ms = user message sent → reply seen by the bench.',
      ...(outboxGlobal === undefined ? {} : { diagnostic: `NOT the production flow: mw-telegram-send globalPerSecond = ${outboxGlobal} (0 = off) in the child's copy` }),
      catalog_warmup_ms: warm.ms,
      idle_rss_mb: Math.round(idleRss),
      phases,
    };
    console.log(JSON.stringify(report, null, 2));
    await mkdir(path.join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
    const file = path.join(PROJECT_ROOT, 'bench', 'results', `bot-chats-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(report, null, 2));
    console.error(`saved ${path.relative(PROJECT_ROOT, file)}`);
  } finally {
    await demo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
