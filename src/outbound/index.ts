/** The durable outbound delivery queue (SPEC §3.B retry ladder). */
export * from './types';
export * from './clock';
export * from './classify';
export * from './retry-policy';
export * from './circuit-breaker';
export * from './queue';
export * from './admin';
export * from './bus';
export * from './worker';
export * from './url-template';
export * from './http-deliver';
export * from './from-message';
export * from './delivery-settings';
export * from './delivery-messages';
export * from './delivery-status';
export * from './queue-router';
