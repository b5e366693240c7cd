import '../../sandbox/shop/register';
import '../../sandbox/telegram/register';
import '../../sandbox/stt/register';
import '../../sandbox/llm/register';
import { startSandboxes, type RunningSandboxes } from '../../sandbox/registry';
import { DEFAULT_SANDBOX_TOKEN } from '../../sandbox/telegram';
import { DEFAULT_STT_API_KEY } from '../../sandbox/stt';
import { DEFAULT_LLM_API_KEY } from '../../sandbox/llm';

type Env = Record<string, string | undefined>;

/** Demo mode is on outside production unless DEMO_SANDBOXES=0. */
export function demoEnabled(env: Env): boolean {
  const flag = env.DEMO_SANDBOXES?.trim().toLowerCase();
  if (flag === '0' || flag === 'false' || flag === 'off' || flag === 'no') return false;
  if (flag === '1' || flag === 'true' || flag === 'on' || flag === 'yes') return true;
  return env.NODE_ENV !== 'production';
}

export interface DemoSandboxes {
  readonly urls: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the fakes of the web shop, Telegram, speech-to-text and the LLM on loopback and points
 * the configuration at them — only where the operator did not configure the real system, so
 * switching to a real one is setting its variable, nothing else. Ports start at SANDBOX_PORT_BASE
 * (default 18080) so the web chat keeps one address between starts.
 */
export async function startDemoSandboxes(env: Env): Promise<DemoSandboxes> {
  const base = Number(env.SANDBOX_PORT_BASE || 18080);
  const pin = (offset: number): number => (base === 0 ? 0 : base + offset);
  // Each system is pointed at its sandbox only when the operator configured nothing for it, so a
  // real token or key never travels to a fake. The shop checks Login Widget hashes with the same
  // bot token the middleware uses.
  const realTelegram = Boolean(env.TELEGRAM_BOT_TOKEN);
  const botToken = env.TELEGRAM_BOT_TOKEN || DEFAULT_SANDBOX_TOKEN;
  env.SHOP_SANDBOX_BOT_TOKEN ??= botToken;
  env.TELEGRAM_SANDBOX_TOKEN ??= realTelegram ? DEFAULT_SANDBOX_TOKEN : botToken;
  const running: RunningSandboxes = await startSandboxes({ shop: pin(1), telegram: pin(2), stt: pin(3), llm: pin(4) });
  const { urls } = running;
  if (!env.SHOP_API_URL) env.SHOP_API_URL = `${urls.shop}/rest/v1`;
  if (!realTelegram) {
    env.TELEGRAM_BOT_TOKEN = botToken;
    env.TELEGRAM_API_URL ??= urls.telegram;
    env.TELEGRAM_WIDGET_URL ??= `${urls.telegram}/js/telegram-widget.js`;
  }
  if (!env.STT_URL) {
    env.STT_PROVIDER = 'openai';
    env.STT_URL = urls.stt;
    env.STT_API_KEY = DEFAULT_STT_API_KEY;
  }
  if (!env.LLM_URL) {
    env.LLM_URL = urls.llm;
    env.LLM_API_KEY = DEFAULT_LLM_API_KEY;
  }
  return { urls, stop: () => running.stop() };
}
