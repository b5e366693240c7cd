import type { IntentRules } from './intents';
import type { AssistantPorts, AssistantUser } from './ports';
import type { ChatStateStore } from './state-store';
import type { OutgoingMessage } from './types';

export interface AssistantSettings {
  /**
   * Where a master links the shop account (the page with the Telegram Login Widget). A URL button
   * when Telegram accepts it; on localhost/loopback it is sent as text.
   */
  readonly loginUrl?: string;
  /** Search results per message (default 5). */
  readonly pageSize: number;
  /** An unfinished checkout or return is forgotten after this long (default 30 min). */
  readonly dialogTtlMs: number;
  /** Longer messages are refused politely (default 500 characters). */
  readonly maxTextChars: number;
  /** Photos a return accepts (default 5). */
  readonly maxReturnPhotos: number;
}

export const DEFAULT_SETTINGS: AssistantSettings = Object.freeze({
  pageSize: 5,
  dialogTtlMs: 30 * 60_000,
  maxTextChars: 500,
  maxReturnPhotos: 5,
});

export interface AssistantLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Everything handleUpdate needs besides the update. */
export interface AssistantContext {
  readonly ports: AssistantPorts;
  readonly store: ChatStateStore;
  readonly settings?: Partial<AssistantSettings>;
  /** The user as mw-auth (telegram mode) resolved it (msg.user); otherwise ports.users is asked. */
  readonly user?: AssistantUser;
  readonly intents?: IntentRules;
  readonly now?: () => Date;
  readonly newId?: () => string;
  readonly log?: AssistantLog;
  /**
   * Messages that should go out before the answer is ready (a "typing…" action before a slow
   * how-to or kit). Optional: without it they are simply not sent.
   */
  readonly onProgress?: (message: OutgoingMessage) => void;
}

export function settingsOf(ctx: AssistantContext): AssistantSettings {
  return { ...DEFAULT_SETTINGS, ...ctx.settings };
}
