import type { AssistantContext } from './context';
import { addToCart, changeCart, showCart } from './handlers/cart';
import { checkoutCallback, checkoutContact, checkoutLocation, checkoutText, startCheckout } from './handlers/checkout';
import { compat, compatOfItem } from './handlers/compat';
import { howto, kitCallback, kitText } from './handlers/howto';
import { myOrders, track } from './handlers/orders';
import { returnCallback, returnPhoto, returnText, startReturn } from './handlers/returns';
import { more, requestManager, search, showItem } from './handlers/search';
import { escapeHtml, h, splitHtml } from './html';
import { defaultIntentRules, detectIntent } from './intents';
import type { SttFailureReason } from '../stt/errors';
import { sttFailureText } from '../stt/messages';
import type { ChatState } from './state-store';
import { helpText, startText, T } from './texts';
import { Turn } from './turn';
import type { IncomingUpdate, OutgoingMessage } from './types';

/**
 * «Ассистент мастера»: one normalised Telegram update in, the Bot API calls that answer it out.
 * Never throws: a failure of a dependency becomes a polite message (and a log line). The chat's
 * state is loaded before and saved after (PostgreSQL); callers must not handle two updates of
 * the same chat at once (mw-assistant serialises per chat).
 */
export async function handleUpdate(update: IncomingUpdate, ctx: AssistantContext): Promise<OutgoingMessage[]> {
  let state: ChatState;
  try {
    state = await ctx.store.load(update.chatId);
  } catch (error) {
    ctx.log?.error({ err: (error as Error).message, chatId: update.chatId }, 'assistant: chat state could not be loaded; answering without it');
    state = {};
  }
  const before = JSON.stringify(state);
  const turn = new Turn(update, ctx, state);
  try {
    dropExpiredDialog(turn);
    if (!(await rateLimited(turn))) await route(turn);
  } catch (error) {
    ctx.log?.error({ err: (error as Error).message, stack: (error as Error).stack, chatId: update.chatId, kind: update.kind }, 'assistant: the update failed');
    turn.answer('Что-то пошло не так');
    turn.send(T.failed);
  }
  // Every button press gets an answer, or the button keeps spinning.
  turn.answer();
  if (JSON.stringify(turn.state) !== before) {
    try {
      await ctx.store.save(update.chatId, turn.userId, turn.state);
    } catch (error) {
      ctx.log?.error({ err: (error as Error).message, chatId: update.chatId }, 'assistant: chat state could not be saved');
    }
  }
  return finalize(turn);
}

function dropExpiredDialog(turn: Turn): void {
  const d = turn.state.dialog;
  if (d && !(d.expiresAt > turn.now().getTime())) turn.state.dialog = undefined;
}

async function rateLimited(turn: Turn): Promise<boolean> {
  const limit = turn.ctx.ports.rateLimit;
  const userId = turn.userId;
  if (!limit || userId === undefined) return false;
  let decision;
  try {
    decision = await limit(`tg:${userId}`);
  } catch (error) {
    turn.ctx.log?.warn({ err: (error as Error).message }, 'assistant: rate limit check failed; letting the update through');
    return false;
  }
  if (decision.allowed) return false;
  const seconds = Math.max(1, Math.ceil(decision.retryAfterSeconds));
  if (turn.update.kind === 'callback') {
    turn.answer(`Слишком часто, подождите ${seconds} сек`);
    return true;
  }
  const now = turn.now().getTime();
  // One notice per window: a flood of messages gets one answer, not a flood of answers.
  if ((turn.state.rateNoticeUntil ?? 0) > now) return true;
  turn.state.rateNoticeUntil = now + seconds * 1000;
  turn.send(T.rateLimited(seconds));
  return true;
}

async function route(turn: Turn): Promise<void> {
  const u = turn.update;
  const max = turn.settings.maxTextChars;
  switch (u.kind) {
    case 'text':
      if (u.text.length > max) return turn.send(T.tooLong(u.text.length, max));
      return text(turn, u.text);
    case 'command':
      if (u.text.length > max) return turn.send(T.tooLong(u.text.length, max));
      return command(turn, u.command, u.args);
    case 'voice':
      // The speech-to-text failure in the words of src/stt (never silence, never blaming the master).
      if (!u.transcript?.trim()) return turn.send(u.failure ? h`${sttFailureText(u.failure as SttFailureReason)}` : T.voiceFailed);
      if (u.transcript.length > max) return turn.send(T.tooLong(u.transcript.length, max));
      await text(turn, u.transcript);
      prefixHeard(turn, u.transcript);
      return;
    case 'photo':
      if (await returnPhoto(turn, u.fileId)) return;
      return turn.send(T.photoUnexpected);
    case 'location':
      if (await checkoutLocation(turn, u.latitude, u.longitude)) return;
      return turn.send(T.locationUnexpected);
    case 'contact':
      if (await checkoutContact(turn, u.phoneNumber)) return;
      return turn.send(T.contactUnexpected);
    case 'callback':
      return callback(turn, u.data);
    case 'unsupported':
      return turn.send(u.what === 'sticker' ? T.sticker : T.unsupported);
  }
}

/** Shows what was heard on the first answer to a voice note. */
function prefixHeard(turn: Turn, transcript: string): void {
  const i = turn.out.findIndex((m) => m.method === 'sendMessage');
  if (i < 0) return;
  const m = turn.out[i]!;
  turn.out[i] = { ...m, text: `🎤 Распознал: «${escapeHtml(transcript.trim())}»\n${m.text ?? ''}` };
}

async function text(turn: Turn, message: string): Promise<void> {
  if (turn.state.dialog) {
    if (await checkoutText(turn, message)) return;
    if (await returnText(turn, message)) return;
    if (await kitText(turn, message)) return;
  }
  const intent = detectIntent(message, turn.ctx.intents ?? defaultIntentRules());
  switch (intent.intent) {
    case 'search':
      return search(turn, intent.query);
    case 'help':
      return turn.send(helpText());
    case 'greeting':
      return turn.send(T.greeting(turn.update.firstName));
    case 'thanks':
      return turn.send(T.thanks);
    case 'cancel':
      return cancel(turn);
    case 'cart':
      return showCart(turn);
    case 'myorders':
      return myOrders(turn);
    case 'return':
      return startReturn(turn);
    case 'track':
      return track(turn, intent.text);
    case 'howto':
      return howto(turn, intent.text);
    case 'compat':
      return compat(turn, intent.rest);
  }
}

function cancel(turn: Turn): void {
  if (!turn.state.dialog) return turn.send(T.nothingToCancel);
  turn.state.dialog = undefined;
  turn.send(T.cancelled, { replyMarkup: { remove_keyboard: true } });
}

async function command(turn: Turn, name: string, args: string): Promise<void> {
  // A command leaves any half-finished dialog: its next text is no longer an address or a reason.
  const hadDialog = !!turn.state.dialog;
  if (name !== 'cancel') turn.state.dialog = undefined;
  switch (name) {
    case 'start': {
      turn.send(startText(turn.update.firstName));
      const user = await turn.user();
      if (!user.linked) turn.askToLink(h`Чтобы оформлять заказы, привяжите аккаунт магазина.`);
      return;
    }
    case 'help':
      return turn.send(helpText());
    case 'find':
      return search(turn, args);
    case 'cart':
      return showCart(turn);
    case 'order':
      return startCheckout(turn, 'order');
    case 'bring':
      return args.trim() ? requestManager(turn, args) : startCheckout(turn, 'bring');
    case 'myorders':
      return myOrders(turn);
    case 'track':
      return track(turn, args);
    case 'return':
      return startReturn(turn);
    case 'compat':
      return compat(turn, args);
    case 'howto':
      return howto(turn, args);
    case 'cancel':
      return cancel(turn);
    default:
      if (hadDialog) turn.ctx.log?.debug({ chatId: turn.chatId, command: name }, 'assistant: unknown command ended a dialog');
      return turn.send(h`${T.unknownCommand(name.slice(0, 40))}${helpText()}`);
  }
}

async function callback(turn: Turn, data: string): Promise<void> {
  const colon = data.indexOf(':');
  const prefix = colon < 0 ? data : data.slice(0, colon);
  const rest = colon < 0 ? '' : data.slice(colon + 1);
  const [a, b] = splitOnce(rest);
  switch (prefix) {
    case 'add':
      return addToCart(turn, rest);
    case 'compat':
      return compatOfItem(turn, rest);
    case 'more':
      return more(turn, rest);
    case 'item':
      return showItem(turn, rest);
    case 'bring':
      return requestManager(turn, undefined);
    case 'cart':
      return a === 'show' ? showCart(turn) : changeCart(turn, a, b ?? '');
    case 'co':
      return checkoutCallback(turn, a, b);
    case 'trk':
      return track(turn, rest);
    case 'rt':
      return returnCallback(turn, a, b);
    case 'kit':
      return kitCallback(turn, a, b);
    default:
      turn.answer('Кнопка устарела');
  }
}

function splitOnce(text: string): [string, string | undefined] {
  const i = text.indexOf(':');
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** Long texts become several messages (the keyboard goes with the last one). */
function finalize(turn: Turn): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (const m of turn.out) {
    if ((m.method !== 'sendMessage' && m.method !== 'editMessageText') || !m.text || m.text.length <= 4096) {
      out.push(m);
      continue;
    }
    const chunks = splitHtml(m.text);
    chunks.forEach((chunk, i) => {
      const last = i === chunks.length - 1;
      if (i === 0 && m.method === 'editMessageText') {
        out.push({ ...m, text: chunk, replyMarkup: last ? m.replyMarkup : { inline_keyboard: [] } });
        return;
      }
      const { messageId: _drop, ...rest } = m;
      void _drop;
      const base: OutgoingMessage = { ...rest, method: 'sendMessage', text: chunk };
      out.push(last ? base : { ...base, replyMarkup: undefined });
    });
  }
  return out.map((m) => (m.replyMarkup === undefined && 'replyMarkup' in m ? stripUndefined(m) : m));
}

function stripUndefined(m: OutgoingMessage): OutgoingMessage {
  const copy: Record<string, unknown> = { ...m };
  for (const k of Object.keys(copy)) if (copy[k] === undefined) delete copy[k];
  return copy as unknown as OutgoingMessage;
}
