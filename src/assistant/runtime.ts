import type { Knex } from 'knex';
import { authRuntimeFor } from '../auth/runtime';
import { acquireCatalogRuntime, type CatalogRuntime, type CatalogRuntimeLease } from '../catalog/runtime';
import { createLlmClient, llmConfigFromEnv, type LlmClient } from '../howto/llm-client';
import type { Logger } from '../log';
import { DeliveryWorker } from '../outbound/worker';
import type { MiddlewareServices } from '../runtime/services';
import { signedFileUrl } from '../telegram/file-proxy';
import { catalogPortFrom, howtoPortFrom, rateLimitPortFrom, shopPortFrom, usersPortFrom } from './adapters';
import type { AssistantPorts, ManagerRequest, QueuedOrder } from './ports';
import { startStatusNotifier } from './notifications';
import { deliverQueuedOrder, queueOrderPortFrom, QUEUED_ORDER_DESTINATION, QUEUED_ORDER_RETRY_POLICY } from './queued-orders';
import { PgChatStateStore } from './state-store';
import type { OutgoingMessage } from './types';

type Env = Readonly<Record<string, string | undefined>>;

export interface AssistantRuntimeOptions {
  /** Messages a minute per Telegram user; 0 turns the limit off. */
  readonly rateLimitPerMinute?: number;
  /** Base URL of the signed Telegram file links (return photos); see src/telegram/file-proxy.ts. */
  readonly photoBaseUrl?: string;
  /** Signs the file links (TELEGRAM_FILE_LINK_SECRET, ≥ 16 characters). */
  readonly photoLinkSecret?: string;
  /** Run the worker delivering orders queued during a shop outage. */
  readonly deliverQueued?: boolean;
  /** Messages the runtime sends on its own (confirmations of queued orders). */
  readonly notify?: (messages: OutgoingMessage[]) => void;
  /** A manager request (Неси under order), for the flow to turn into a task or a chat message. */
  readonly onManagerRequest?: (request: ManagerRequest) => void;
  /** Tell linked masters about order and return status changes, polling the shop's feeds this often (0: off; default 15 s). */
  readonly notifyStatusEveryMs?: number;
  /** An order was queued while the shop is down. */
  readonly onOrderQueued?: (order: QueuedOrder, id: string | number) => void;
  readonly env?: Env;
}

export interface AssistantRuntime {
  readonly ports: AssistantPorts;
  readonly store: PgChatStateStore;
  /** Resolves when the catalog's first index is built. */
  readonly ready: Promise<void>;
  readonly worker: DeliveryWorker | undefined;
  /** Problems of the configuration worth a warning (no shop, no photo links…). */
  readonly warnings: string[];
  close(): Promise<void>;
}

/**
 * The assistant's ports wired to the services of the process (what mw-assistant uses): the
 * catalog runtime (shared with mw-catalog-search / mw-shop), the shop client inside it, the auth
 * runtime's token vault, curated how-to tips (and the LLM when LLM_URL is set), rate limits and
 * the durable queue in PostgreSQL.
 */
export function createAssistantRuntime(services: MiddlewareServices, options: AssistantRuntimeOptions = {}): AssistantRuntime {
  const env = options.env ?? process.env;
  const db: Knex = services.db;
  const log: Logger | undefined = services.log;
  const warnings: string[] = [];
  // The application's catalog runtime (services.catalog) when it provides one, else the shared one of the process.
  const provided = (services as { catalog?: CatalogRuntime }).catalog;
  const catalog: CatalogRuntimeLease = provided
    ? { runtime: provided, ready: Promise.resolve(), release: async () => undefined }
    : acquireCatalogRuntime({ db, log, metrics: services.metrics });
  let llm: LlmClient | undefined;
  try {
    llm = createLlmClient(llmConfigFromEnv(env));
  } catch (error) {
    warnings.push(`LLM is not used: ${(error as Error).message}`);
  }
  const photoBase = options.photoBaseUrl || env.ASSISTANT_PHOTO_BASE_URL || '';
  const secret = options.photoLinkSecret ?? env.TELEGRAM_FILE_LINK_SECRET ?? '';
  let photoUrl: AssistantPorts['photoUrl'];
  if (photoBase && secret.length >= 16) photoUrl = (fileId) => signedFileUrl(photoBase, fileId, secret);
  else if (photoBase) warnings.push('return photos: TELEGRAM_FILE_LINK_SECRET (≥ 16 characters) is not set');
  else warnings.push('return photos: no photo link base URL (ASSISTANT_PHOTO_BASE_URL)');
  if (!catalog.runtime.client) warnings.push('no web shop is configured (SHOP_API_URL): search only, no orders');

  const queue = queueOrderPortFrom(db);
  const perMinute = options.rateLimitPerMinute ?? 20;
  const ports: AssistantPorts = {
    catalog: catalogPortFrom(() => catalog.runtime.search),
    shop: shopPortFrom(() => catalog.runtime.client),
    users: usersPortFrom(() => authRuntimeFor(services)),
    howto: howtoPortFrom({ llm }),
    ...(perMinute > 0 ? { rateLimit: rateLimitPortFrom(db, { perMinute }) } : {}),
    queueOrder: async (order) => {
      const r = await queue(order);
      options.onOrderQueued?.(order, r.id);
      return r;
    },
    ...(options.onManagerRequest ? { requestManager: async (r: ManagerRequest) => options.onManagerRequest!(r) } : {}),
    ...(photoUrl ? { photoUrl } : {}),
  };

  let worker: DeliveryWorker | undefined;
  if (options.deliverQueued !== false) {
    worker = new DeliveryWorker({
      db,
      deliver: deliverQueuedOrder({ shop: ports.shop, users: ports.users, notify: (m) => options.notify?.(m) }),
      destinations: [QUEUED_ORDER_DESTINATION],
      policy: QUEUED_ORDER_RETRY_POLICY,
      concurrency: 2,
      pollMs: 5000,
    });
    worker.on('error', (error) => log?.warn({ err: error.message }, 'assistant: queued order worker error'));
    worker.start();
  }

  let notifier: { stop(): Promise<void> } | undefined;
  const everyMs = options.notifyStatusEveryMs ?? 15_000;
  const client = catalog.runtime.client;
  if (everyMs > 0 && client && options.notify) {
    const notify = options.notify;
    notifier = startStatusNotifier({
      db,
      source: client,
      everyMs,
      // A private chat's id is the user's id.
      chatFor: async (shopUserId) => (await (await authRuntimeFor(services)).vault.findByShopUser(shopUserId))?.telegramUserId,
      notify: (m) => notify(m),
      onError: (error) => log?.debug({ err: (error as Error).message }, 'assistant: status notifications poll failed'),
    });
  }

  return {
    ports,
    store: new PgChatStateStore(db),
    ready: catalog.ready,
    worker,
    warnings,
    async close() {
      await notifier?.stop();
      await worker?.stop();
      await catalog.release();
    },
  };
}
