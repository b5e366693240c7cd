/**
 * Time as the queue sees it. The worker, the retry policy and the circuit breaker take a Clock
 * instead of calling Date.now()/setTimeout, so tests walk a 24-hour ladder in milliseconds.
 */
export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    // Owners always clear their timers on stop; unref only keeps a forgotten one from holding the process.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
