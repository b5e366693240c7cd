/**
 * A loader whose result is reused for `ttlMs`, with one load in flight at a time: scrapes from
 * several Prometheus servers (or a fast scrape interval) cost one database query per window.
 * After a failed load the last good value is served (marked stale) rather than nothing.
 */
export interface CachedLoader<T> {
  (): Promise<{ value: T | undefined; stale: boolean; error?: unknown }>;
}

export function cachedAsync<T>(load: () => Promise<T>, ttlMs: number, now: () => number = Date.now): CachedLoader<T> {
  let value: T | undefined;
  let loadedAt = -Infinity;
  let inFlight: Promise<{ value: T | undefined; stale: boolean; error?: unknown }> | undefined;
  return () => {
    if (now() - loadedAt < ttlMs) return Promise.resolve({ value, stale: false });
    inFlight ??= load()
      .then((v) => {
        value = v;
        loadedAt = now();
        return { value, stale: false };
      })
      .catch((error: unknown) => ({ value, stale: true, error }))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
