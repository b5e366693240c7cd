import type { Tip, TipsCatalog } from './tips';

/**
 * The «Заказать комплект» side of a tip: catalog search queries the bot runs to fill the cart.
 * Resolution to real catalog ids is the bot flow's job (through the catalog search):
 *  1. with a model, search `bundle` first: a ready-made kit product (kit_display, kit_battery)
 *     replaces the parts and tools it contains;
 *  2. otherwise add the first hit of each of `queries` (parts for the model, then tools).
 * Without a model (`needsModel`), ask the master for it, then rebuild with kitFor(tip, model).
 */
export interface HowToKit {
  readonly tipId: string;
  /** What the kit is, for the message. */
  readonly title: string;
  /** Search queries in order: the model's parts (only when the model is known), then tools. */
  readonly queries: readonly string[];
  /** A ready-made kit product query, when the tip has one and the model is known. */
  readonly bundle?: string;
  /** Part queries for the model (without a model: the templates with "{model}" removed). */
  readonly parts: readonly string[];
  readonly tools: readonly string[];
  /** The tip needs parts for a specific phone, and the model is not known yet. */
  readonly needsModel: boolean;
  readonly model?: string;
  /** callback_data of the «Заказать комплект» button (≤ 64 bytes). */
  readonly callbackData: string;
}

export const KIT_BUTTON_TEXT = 'Заказать комплект';
export const KIT_CALLBACK_PREFIX = 'hk:';
/** Telegram's limit on callback_data. */
export const CALLBACK_DATA_MAX_BYTES = 64;

function fill(template: string, model: string | undefined): string {
  return template
    .replace(/\{model\}/g, model ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Cuts a string to fit `maxBytes` of UTF-8 without splitting a character. */
function fitBytes(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out.trim();
}

/** `hk:<tipId>:<model>`; the model is shortened to fit Telegram's 64 bytes. */
export function kitCallbackData(tipId: string, model?: string): string {
  const head = `${KIT_CALLBACK_PREFIX}${tipId}:`;
  return head + fitBytes((model ?? '').replace(/:/g, ' '), CALLBACK_DATA_MAX_BYTES - Buffer.byteLength(head));
}

export function parseKitCallback(data: unknown): { tipId: string; model?: string } | undefined {
  if (typeof data !== 'string' || !data.startsWith(KIT_CALLBACK_PREFIX)) return undefined;
  const rest = data.slice(KIT_CALLBACK_PREFIX.length);
  const colon = rest.indexOf(':');
  const tipId = colon < 0 ? rest : rest.slice(0, colon);
  const model = colon < 0 ? '' : rest.slice(colon + 1).trim();
  if (!/^[a-z][a-z0-9_]{0,23}$/.test(tipId)) return undefined;
  return { tipId, model: model || undefined };
}

export function kitFor(tip: Tip, model?: string): HowToKit {
  const m = model?.trim() || undefined;
  const parts = tip.kit.parts.map((p) => fill(p, m)).filter(Boolean);
  const tools = [...tip.kit.tools];
  const needsModel = !m && tip.kit.parts.length > 0;
  return {
    tipId: tip.id,
    title: tip.kit.title,
    queries: m ? [...parts, ...tools] : tools,
    bundle: m && tip.kit.bundle ? fill(tip.kit.bundle, m) : undefined,
    parts,
    tools,
    needsModel,
    model: m,
    callbackData: kitCallbackData(tip.id, m),
  };
}

/** The kit behind a pressed «Заказать комплект» button; undefined for other callbacks. */
export function kitFromCallback(data: unknown, catalog: TipsCatalog, model?: string): HowToKit | undefined {
  const parsed = parseKitCallback(data);
  const tip = parsed && catalog.byId.get(parsed.tipId);
  return tip ? kitFor(tip, model ?? parsed.model) : undefined;
}
