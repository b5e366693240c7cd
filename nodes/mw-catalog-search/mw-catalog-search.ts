import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { CompatRequest } from '../../src/catalog/engine-core';
import { acquireCatalogRuntime, type CatalogRuntimeLease } from '../../src/catalog/runtime';
import type { CatalogFreshness } from '../../src/catalog/search-service';
import { migrateConfig } from '../../src/node-config/migrations';
import type { MwConfigNode } from '../mw-config/mw-config';
import { mwCatalogSearchMigrations, type CatalogSearchMode, type MwCatalogSearchDef } from './config';

type Msg = NodeMessageInFlow & Record<string, unknown>;

class QueryError extends TypeError {
  override readonly name = 'QueryError';
}

function asId(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compatRequest(value: unknown, limit: number): CompatRequest {
  const id = asId(value);
  if (id !== undefined) return { itemId: id };
  if (typeof value === 'string' && value.trim() !== '') return { model: value.trim() };
  if (isRecord(value)) {
    const itemId = asId(value.itemId ?? value.id);
    const model = typeof value.model === 'string' ? value.model : typeof value.q === 'string' ? value.q : undefined;
    if (itemId === undefined && !model) throw new QueryError('compat needs {itemId} or {model}');
    return {
      itemId,
      model,
      partType: typeof value.partType === 'string' ? value.partType : undefined,
      limit: asId(value.limit) ?? (itemId === undefined ? undefined : limit),
    };
  }
  throw new QueryError('compat needs an item id, a model name or {itemId | model, partType?}');
}

/**
 * Searches the catalog cache (the web shop's catalog kept in PostgreSQL): text and voice
 * queries in masters' language, an item by id, or compatibility (models a part fits, parts that
 * fit a model, shared parts marked). Answers come from the cache even while the shop is down,
 * with `degraded` and "цены и наличие на HH:MM". Output 1: found; output 2: nothing found.
 */
export default function registerMwCatalogSearch(RED: NodeAPI): void {
  function MwCatalogSearch(this: Node, def: NodeDef & Partial<MwCatalogSearchDef>): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = migrateConfig<MwCatalogSearchDef>('mw-catalog-search', def as unknown as Record<string, unknown>, mwCatalogSearchMigrations);
    const mwConfig = RED.nodes.getNode(config.mwConfig) as MwConfigNode | null;
    let lease: CatalogRuntimeLease | undefined;
    try {
      if (!mwConfig) throw new Error(RED._('mw-catalog-search.errors.noConfig'));
      lease = acquireCatalogRuntime(mwConfig.services);
      node.status({ fill: 'grey', shape: 'ring', text: RED._('mw-catalog-search.status.loading') });
      lease.ready.then(
        () => node.status({ fill: 'green', shape: 'dot', text: RED._('mw-catalog-search.status.ready') }),
        () => undefined,
      );
    } catch (error) {
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.replace(/^mw-catalog-search: /, '').slice(0, 60) });
      node.error(error as Error);
    }

    const freshnessStatus = (found: number, f: CatalogFreshness): void => {
      if (f.degraded) node.status({ fill: 'yellow', shape: 'ring', text: RED._('mw-catalog-search.status.degraded', { asOf: f.asOfText ?? '—' }) });
      else node.status({ fill: 'green', shape: 'dot', text: RED._('mw-catalog-search.status.found', { count: found }) });
    };

    node.on('input', (msg: Msg, send, done) => {
      void (async () => {
        try {
          if (!lease) throw new Error(RED._('mw-catalog-search.errors.noConfig'));
          const search = lease.runtime.search;
          const rawMode = config.mode || (typeof msg.mode === 'string' ? msg.mode : 'search');
          if (rawMode !== 'search' && rawMode !== 'item' && rawMode !== 'compat') throw new QueryError(RED._('mw-catalog-search.errors.mode', { mode: rawMode }));
          const mode: CatalogSearchMode = rawMode;
          let value: unknown;
          try {
            value = RED.util.getMessageProperty(msg, config.queryProperty);
          } catch {
            value = undefined;
          }
          let found: boolean;
          let count: number;
          let freshness: CatalogFreshness;
          if (mode === 'search') {
            const q = typeof value === 'string' ? value : isRecord(value) ? String(value.q ?? value.query ?? value.text ?? '') : typeof value === 'number' ? String(value) : '';
            if (q.trim() === '') throw new QueryError(RED._('mw-catalog-search.errors.noQuery', { property: config.queryProperty }));
            const limit = isRecord(value) ? (asId(value.limit) ?? config.limit) : config.limit;
            const answer = await search.search(q, { limit, channel: config.channel });
            msg.payload = answer;
            found = !answer.nothingFound;
            count = answer.items.length;
            freshness = answer;
          } else if (mode === 'item') {
            const id = asId(isRecord(value) ? (value.itemId ?? value.id) : value);
            if (id === undefined) throw new QueryError(RED._('mw-catalog-search.errors.noId', { property: config.queryProperty }));
            const answer = await search.getItem(id);
            msg.payload = answer;
            found = answer.item !== null;
            count = found ? 1 : 0;
            freshness = answer;
          } else {
            const answer = await search.compat(compatRequest(value, config.limit));
            msg.payload = answer;
            found = answer.kind === 'item' ? answer.item !== undefined : answer.parts.length > 0;
            count = answer.kind === 'item' ? answer.models.length : answer.parts.length;
            freshness = answer;
          }
          freshnessStatus(count, freshness);
          send(found ? [msg, null] : [null, msg]);
          done();
        } catch (error) {
          node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
          done(error as Error);
        }
      })();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      const release = lease?.release() ?? Promise.resolve();
      lease = undefined;
      release.then(done, done);
    });
  }
  RED.nodes.registerType('mw-catalog-search', MwCatalogSearch as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
}
