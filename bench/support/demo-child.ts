import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { DEFAULT_SANDBOX_TOKEN, type TgInlineKeyboardMarkup, type TgMessage } from '../../sandbox/telegram';
import { freePort, prepareDataDir, startChild, type MiddlewareChild } from './child';

/**
 * The middleware in demo mode as a child process — what `npm start` runs on a laptop: the shop,
 * Telegram, STT and LLM sandboxes start inside the child (DEMO_SANDBOXES=1) on four consecutive
 * ports above a free base, with its own data folder, embedded PostgreSQL port and ops token, so
 * it never collides with a developer's `npm start` (ports 18081–18084, 1880, 54329).
 *
 * Used by bench/bot-chats.ts and scripts/screenshot-chat.ts.
 */
export interface DemoChild {
  readonly child: MiddlewareChild;
  readonly dataDir: string;
  /** SANDBOX_PORT_BASE: shop = base+1, telegram = base+2, stt = base+3, llm = base+4. */
  readonly sandboxBase: number;
  readonly urls: { readonly shop: string; readonly telegram: string; readonly stt: string; readonly llm: string };
  /** The bot token the demo runs with (and the shop sandbox checks Login Widget hashes with). */
  readonly botToken: string;
  /** Bearer token for the ops API (/metrics). */
  readonly opsToken: string;
  /** Stops the child (SIGTERM) and removes its data folder. */
  stop(): Promise<void>;
}

/** True when nothing listens on 127.0.0.1:port. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port such that base+1 … base+count are all free (SANDBOX_PORT_BASE uses base+1…base+4). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let free = true;
    for (let i = 1; i <= count && free; i++) free = await portIsFree(base + i);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/**
 * Environment variables that would point the demo at real systems if the developer's shell has
 * them: blanked so the sandboxes are used (the demo only fills in variables that are empty).
 */
const REAL_SYSTEM_VARS = ['SHOP_API_URL', 'TELEGRAM_API_URL', 'STT_URL', 'STT_PROVIDER', 'STT_API_KEY', 'LLM_URL', 'LLM_API_KEY', 'DATABASE_URL', 'MQTT_URL'];

export interface DemoChildOptions {
  env?: Record<string, string>;
  /**
   * Changes the child's own copy of flows/ before it starts (diagnostic runs only, e.g. a node
   * property switched off); the repository's flows are never touched.
   */
  patchFlows?: (flowsDir: string) => Promise<void>;
}

export async function startDemoChild(options: DemoChildOptions = {}): Promise<DemoChild> {
  const { dataDir, flowsDir } = await prepareDataDir(path.join(PROJECT_ROOT, 'flows'));
  await options.patchFlows?.(flowsDir);
  const sandboxBase = await freePortRange(4);
  const botToken = process.env.TELEGRAM_BOT_TOKEN || DEFAULT_SANDBOX_TOKEN;
  const opsToken = randomBytes(18).toString('base64url');
  let child: MiddlewareChild;
  try {
    child = await startChild({
      ...Object.fromEntries(REAL_SYSTEM_VARS.map((name) => [name, ''])),
      DEMO_SANDBOXES: '1',
      SANDBOX_PORT_BASE: String(sandboxBase),
      DATA_DIR: dataDir,
      FLOWS_DIR: flowsDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      TELEGRAM_BOT_TOKEN: botToken,
      OPS_API_TOKEN: opsToken,
      ...options.env,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const at = (offset: number): string => `http://127.0.0.1:${sandboxBase + offset}`;
  return {
    child,
    dataDir,
    sandboxBase,
    urls: { shop: at(1), telegram: at(2), stt: at(3), llm: at(4) },
    botToken,
    opsToken,
    stop: async () => {
      await child.kill('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Resident memory of a process and all its descendants, in MB (the middleware child plus the
 * embedded PostgreSQL server and its backends). Reads /proc; 0 where /proc is not available.
 */
export function processTreeRssMb(rootPid: number): number {
  let kb = 0;
  for (const pid of processTree(rootPid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return kb / 1024;
}

/** Processes of a tree: the root and every descendant (from /proc). */
function processTree(rootPid: number): number[] {
  const parentOf = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid … — comm may contain spaces and parentheses.
      parentOf.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, depth = 0; p && depth < 64; p = parentOf.get(p), depth++) if (p === rootPid) return true;
    return false;
  };
  return [...parentOf.keys()].filter(inTree);
}

/** CPU time (user + system) used so far by the root process and, separately, its whole tree, in seconds. */
export function processTreeCpuSeconds(rootPid: number): { process: number; tree: number } {
  const ticks = 100; // USER_HZ on Linux
  let root = 0;
  let tree = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After "(comm) ": state(0) ppid(1) … utime(11) stime(12)
      const used = (Number(fields[11]) + Number(fields[12])) / ticks;
      tree += used;
      if (pid === rootPid) root = used;
    } catch {
      /* exited meanwhile */
    }
  }
  return { process: root, tree };
}

/** The child's /metrics (Prometheus text) as {`name{labels}`: value}. */
export async function readMetrics(demo: DemoChild): Promise<Record<string, number>> {
  const res = await fetch(`${demo.child.baseUrl}/metrics`, { headers: { authorization: `Bearer ${demo.opsToken}` } });
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

/** One call of the Telegram sandbox's control API (`/__control/…`); throws on `{ok:false}`. */
export async function tgControl<T>(telegramUrl: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${telegramUrl}/__control${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T & { ok?: boolean; error?: string };
  if (!res.ok || json.ok === false) throw new Error(`telegram sandbox ${route}: ${res.status} ${json.error ?? ''}`.trim());
  return json;
}

/** True when a bot message carries «🛒 В корзину» buttons (callback data `add:<id>`): a search found items. */
export function hasAddButton(message: TgMessage | undefined): boolean {
  const kb = message?.reply_markup as TgInlineKeyboardMarkup | undefined;
  return !!kb?.inline_keyboard?.some((row) => row.some((b) => typeof b.callback_data === 'string' && b.callback_data.startsWith('add:')));
}

/**
 * The shop sandbox's catalog is synced into the middleware's cache at start: searches through
 * the bot (in warm-up chats of their own, ids from 9 000 001) until one finds items, then a few
 * more to warm the JIT, the pools and the search worker. Returns how long that took.
 */
export async function waitForCatalogSearch(telegramUrl: string, options: { timeoutMs?: number; minTurns?: number } = {}): Promise<{ ms: number; turns: number }> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const minTurns = options.minTurns ?? 5;
  const started = Date.now();
  const probes = ['дисплей iphone 11', 'акб редми 9', 'аккумулятор samsung a51', 'экран айфон 12', 'крышка redmi note 8'];
  let chatId = 9_000_001;
  let turns = 0;
  let found = false;
  for (;;) {
    const sent = await tgControl<{ message: TgMessage }>(telegramUrl, '/messages', { chatId, text: probes[turns % probes.length], firstName: 'Прогрев' });
    const waited = await tgControl<{ timedOut: boolean; messages: TgMessage[] }>(telegramUrl, `/chats/${chatId}/wait?afterMessageId=${sent.message.message_id}&timeoutMs=15000`);
    turns++;
    found ||= !waited.timedOut && hasAddButton(waited.messages[0]);
    if (found && turns >= minTurns) return { ms: Date.now() - started, turns };
    if (Date.now() - started > timeoutMs) throw new Error('the catalog was not searchable in time (no reply with «В корзину» buttons)');
    if (turns % 10 === 0) chatId++; // stay under the per-user rate limit (20 messages a minute)
    await new Promise((r) => setTimeout(r, 300));
  }
}
