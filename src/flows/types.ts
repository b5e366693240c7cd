/**
 * One Node-RED node exactly as it appears in a flows array: a tab, a subflow definition,
 * a group, a config node or a regular node. Only the fields the storage and the lint reason
 * about are typed; everything else is carried through untouched.
 */
export interface FlowNode {
  id: string;
  type: string;
  /** The tab or subflow the node lives on; absent for global config nodes, tabs and subflows. */
  z?: string;
  [property: string]: unknown;
}

/** The subset of a logger the storage needs; a pino logger fits. */
export interface StorageLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Used when the caller gives no logger: warnings must still reach someone, info may be dropped. */
export const consoleLog: StorageLog = {
  info: () => undefined,
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
