/**
 * Screenshots of «Ассистент мастера» in the Telegram sandbox's web chat: a master finds a part,
 * puts it in the cart and orders it with courier delivery and cash on delivery (/bring).
 *
 *   node --import tsx scripts/screenshot-chat.ts [--out screenshots] [--chat 100001] [--name Игорь]
 *
 * Starts the middleware in demo mode as a child process (its own ports, data folder and
 * embedded PostgreSQL, see bench/support/demo-child.ts), links the master's Telegram account to
 * the shop sandbox the way the site's Login Widget does (POST /api/v1/auth/telegram with signed
 * widget data — orders need a linked account), then drives /chat?chat=<id>&name=<name> in
 * headless Chromium (playwright-core, /usr/bin/chromium or $CHROMIUM_PATH) and writes:
 *   01-search-results.png   the search «акб редми 9» and the bot's results with «В корзину»
 *   02-checkout.png         added to the cart, /bring, address, phone, the order summary
 *   03-order-confirmed.png  «Подтвердить заказ» pressed: the order number
 * See docs/screenshots/README.md.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Locator, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../src/config';
import { signTelegramLogin } from '../sandbox/shop';
import { startDemoChild, tgControl, waitForCatalogSearch, type DemoChild } from '../bench/support/demo-child';

interface Args {
  out: string;
  chatId: number;
  name: string;
  query: string;
  address: string;
  phone: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  return {
    out: path.resolve(PROJECT_ROOT, get('out', 'screenshots')),
    chatId: Number(get('chat', '100001')),
    name: get('name', 'Игорь'),
    query: get('query', 'акб редми 9'),
    address: get('address', 'Екатеринбург, ул. Малышева, 51, офис 1204'),
    phone: get('phone', '+7 912 345-67-89'),
  };
}

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Links the master's Telegram account to a shop account: what the site's Login Widget does. */
async function linkMaster(demo: DemoChild, args: Args): Promise<void> {
  const login = signTelegramLogin({ id: args.chatId, first_name: args.name, username: 'igor_master', auth_date: Math.floor(Date.now() / 1000) }, demo.botToken);
  const res = await fetch(`${demo.child.baseUrl}/api/v1/auth/telegram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  if (!res.ok) throw new Error(`POST /api/v1/auth/telegram: ${res.status} ${await res.text()}`);
}

/** The newest bot message in the page whose text matches. */
function botMessage(page: Page, text: RegExp): Locator {
  return page.locator('#messages .row.bot').filter({ hasText: text }).last();
}

async function send(page: Page, text: string): Promise<void> {
  const input = page.locator('#input');
  await input.click();
  await input.fill(text);
  await input.press('Enter');
}

async function shot(page: Page, file: string): Promise<void> {
  // Let the page's long poll render the last change and scroll to the bottom; a callback
  // answer's toast (3.5 s) would cover the top of the chat.
  await page.waitForTimeout(600);
  await page.locator('#toast').waitFor({ state: 'hidden', timeout: 6000 });
  await page.screenshot({ path: file });
  console.error(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await mkdir(args.out, { recursive: true });
  const demo = await startDemoChild();
  const profile = await mkdtemp(path.join(os.tmpdir(), 'chat-shots-profile-'));
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    console.error(`demo: middleware ${demo.child.baseUrl}, web chat ${demo.urls.telegram}/chat`);
    // The catalog is synced from the shop sandbox at start: search in a scratch chat until it
    // finds items, then reset the sandbox's chats so only the master's chat is in the page.
    await waitForCatalogSearch(demo.urls.telegram, { minTurns: 1 });
    await tgControl(demo.urls.telegram, '/reset', {});
    await linkMaster(demo, args);

    // A fresh profile each run (launchPersistentContext is Playwright's way to pass --user-data-dir).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 1100 },
      deviceScaleFactor: 1,
      locale: 'ru-RU',
      timezoneId: 'Asia/Yekaterinburg',
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    await page.goto(`${demo.urls.telegram}/chat?chat=${args.chatId}&name=${encodeURIComponent(args.name)}`);
    await page.locator('#input:not([disabled])').waitFor();

    // 1. Search → results with «В корзину».
    await send(page, args.query);
    const results = botMessage(page, /Найдено/);
    await results.locator('.keyboard button', { hasText: 'В корзину' }).first().waitFor();
    await shot(page, path.join(args.out, '01-search-results.png'));

    // 2. «В корзину» on the first result, /bring, address, phone → the order summary.
    await results.locator('.keyboard button', { hasText: 'В корзину' }).first().click();
    await botMessage(page, /Добавил/).waitFor();
    await send(page, '/bring');
    await botMessage(page, /адрес доставки/i).waitFor();
    await send(page, args.address);
    await botMessage(page, /Телефон для курьера/).waitFor();
    await send(page, args.phone);
    const summary = botMessage(page, /Проверьте заказ/);
    await summary.locator('.keyboard button', { hasText: 'Подтвердить' }).waitFor();
    await shot(page, path.join(args.out, '02-checkout.png'));

    // 3. «Подтвердить заказ» → the order number.
    await summary.locator('.keyboard button', { hasText: 'Подтвердить' }).click();
    const confirmed = botMessage(page, /Заказ .+ оформлен/);
    await confirmed.waitFor();
    console.error(`order: ${(await confirmed.innerText()).split('\n')[0]}`);
    await shot(page, path.join(args.out, '03-order-confirmed.png'));
  } finally {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    await demo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
