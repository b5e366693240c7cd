/** Prometheus metrics of the middleware (SPEC §3.E). */
export * from './registry';
export * from './http';
export * from './outbound';
export * from './bounded-label';
export * from './cached';
