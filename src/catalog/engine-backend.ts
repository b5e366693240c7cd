import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { readDevices } from './devices';
import { EngineCore, type BuildInfo, type CompatRequest, type CompatResult, type EngineSearchOptions, type EngineSearchResult, type PatchInfo } from './engine-core';
import type { EngineReply, EngineRequest, EngineResults, EngineWorkerData } from './engine-protocol';
import { engineWorkerFile } from './paths';
import type { CatalogItemView, CatalogRow } from './rows';
import { loadCatalogRows } from './store';

/** One search engine generation: built once, patched, asked, closed. */
export interface EngineBackend {
  readonly kind: 'worker' | 'inline';
  build(): Promise<BuildInfo>;
  patch(rows: CatalogRow[], removedIds: number[]): Promise<PatchInfo>;
  search(query: string, options: EngineSearchOptions): Promise<EngineSearchResult>;
  item(id: number): Promise<CatalogItemView | null>;
  compat(request: CompatRequest): Promise<CompatResult>;
  close(): Promise<void>;
}

/** The engine in the main thread: simple, but a build blocks the event loop (≈3 s at 100k items). */
export class InlineBackend implements EngineBackend {
  readonly kind = 'inline' as const;
  private core: EngineCore | undefined;

  constructor(
    private readonly db: Knex,
    private readonly devicesFile: string | undefined,
  ) {}

  async build(): Promise<BuildInfo> {
    const t0 = performance.now();
    const rows = await loadCatalogRows(this.db);
    const t1 = performance.now();
    this.core = EngineCore.build(rows, readDevices(this.devicesFile));
    const watermark = rows.reduce<string | null>((max, r) => (max === null || r.synced_at > max ? r.synced_at : max), null);
    return { items: this.core.size, indexed: this.core.indexedCount, loadMs: Math.round(t1 - t0), buildMs: Math.round(performance.now() - t1), watermark };
  }

  private get ready(): EngineCore {
    if (!this.core) throw new Error('the search index is not built yet');
    return this.core;
  }

  async patch(rows: CatalogRow[], removedIds: number[]): Promise<PatchInfo> {
    return this.ready.patch(rows, removedIds);
  }

  async search(query: string, options: EngineSearchOptions): Promise<EngineSearchResult> {
    return this.ready.search(query, options);
  }

  async item(id: number): Promise<CatalogItemView | null> {
    return this.ready.item(id);
  }

  async compat(request: CompatRequest): Promise<CompatResult> {
    return this.ready.compat(request);
  }

  async close(): Promise<void> {
    this.core = undefined;
  }
}

export class EngineWorkerError extends Error {
  override readonly name = 'EngineWorkerError';
  /** The worker ran and answered with this error (e.g. the database was unreachable), as opposed to a worker that could not run. */
  remote = false;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface WorkerBackendOptions {
  readonly databaseUrl: string;
  readonly devicesFile?: string;
  /** Searches, patches and look-ups; a build may take minutes. */
  readonly requestTimeoutMs?: number;
  readonly buildTimeoutMs?: number;
  /** Told when the worker dies unexpectedly (the service then rebuilds). */
  readonly onExit?: (error: Error) => void;
}

/**
 * The engine in a worker thread, which loads the rows from PostgreSQL and builds the index
 * itself: building never blocks the main event loop, and the service keeps asking the previous
 * generation until the new one is ready (swap). The worker runs the TypeScript sources through
 * tsx, as the main process does.
 */
export class WorkerBackend implements EngineBackend {
  readonly kind = 'worker' as const;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private dead: Error | undefined;
  private closing = false;

  constructor(private readonly options: WorkerBackendOptions) {
    const file = engineWorkerFile();
    if (!file) throw new EngineWorkerError('src/catalog/engine-worker.ts not found');
    // tsx is resolved from the project, so the worker loads TypeScript wherever this module was bundled.
    const tsx = createRequire(file).resolve('tsx/cjs');
    const bootstrap = `require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`;
    const workerData: EngineWorkerData = { databaseUrl: options.databaseUrl, devicesFile: options.devicesFile };
    this.worker = new Worker(bootstrap, { eval: true, workerData, execArgv: [] });
    // A forgotten service must not keep the process alive; stop() closes it properly.
    this.worker.unref();
    this.worker.on('message', (reply: EngineReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(Object.assign(new EngineWorkerError(reply.error.message), { cause: reply.error.name, remote: true }));
    });
    this.worker.on('error', (error) => this.die(error instanceof Error ? error : new Error(String(error))));
    this.worker.on('exit', (code) => this.die(new EngineWorkerError(`search worker exited with code ${code}`)));
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
    if (!this.closing) this.options.onExit?.(error);
  }

  private request<K extends keyof EngineResults>(message: Omit<Extract<EngineRequest, { op: K }>, 'id'>, timeoutMs?: number): Promise<EngineResults[K]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.seq;
    const limit = timeoutMs ?? this.options.requestTimeoutMs ?? 5000;
    return new Promise<EngineResults[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new EngineWorkerError(`search worker did not answer ${message.op} within ${limit} ms`));
      }, limit);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.worker.postMessage({ ...message, id });
    });
  }

  build(): Promise<BuildInfo> {
    return this.request<'build'>({ op: 'build' }, this.options.buildTimeoutMs ?? 10 * 60_000);
  }

  patch(rows: CatalogRow[], removedIds: number[]): Promise<PatchInfo> {
    return this.request<'patch'>({ op: 'patch', rows, removedIds });
  }

  search(query: string, options: EngineSearchOptions): Promise<EngineSearchResult> {
    return this.request<'search'>({ op: 'search', query, options });
  }

  item(id: number): Promise<CatalogItemView | null> {
    return this.request<'item'>({ op: 'item', itemId: id });
  }

  compat(request: CompatRequest): Promise<CompatResult> {
    return this.request<'compat'>({ op: 'compat', request });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.dead) await this.request<'close'>({ op: 'close' }, 5000).catch(() => undefined);
    await this.worker.terminate().catch(() => undefined);
  }
}

/** The connection string of a knex pg instance (the worker opens its own small pool). */
export function connectionStringOf(db: Knex): string | undefined {
  const connection = (db as unknown as { client?: { config?: { connection?: unknown } } }).client?.config?.connection;
  if (typeof connection === 'string') return connection;
  if (connection && typeof connection === 'object') {
    const c = connection as { connectionString?: unknown; host?: unknown; port?: unknown; user?: unknown; password?: unknown; database?: unknown };
    if (typeof c.connectionString === 'string') return c.connectionString;
    if (typeof c.host === 'string') {
      const auth = c.user ? `${encodeURIComponent(String(c.user))}${c.password ? `:${encodeURIComponent(String(c.password))}` : ''}@` : '';
      return `postgres://${auth}${c.host}:${c.port ?? 5432}/${c.database ?? ''}`;
    }
  }
  return undefined;
}
