/**
 * Versioned node configuration. Flows in git were saved by older node versions; each node
 * declares its current config `version` and the steps that bring an older config up to it, so
 * an old flow keeps loading and the editor re-saves it in the new shape.
 */
export interface ConfigMigration<C> {
  /** The version this step produces. */
  readonly to: number;
  readonly up: (config: Record<string, unknown>) => Record<string, unknown>;
  /** Only for typing the final shape; unused at run time. */
  readonly _shape?: C;
}

export interface VersionedConfig {
  version?: number | string;
}

export function configVersionOf(config: VersionedConfig): number {
  const v = Number(config.version ?? 0);
  return Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

/**
 * Applies every migration newer than the config's version, in order. A config newer than
 * the code (saved by a newer node package) is refused: guessing would lose settings.
 */
export function migrateConfig<C extends VersionedConfig>(
  nodeType: string,
  config: VersionedConfig & Record<string, unknown>,
  migrations: readonly ConfigMigration<C>[],
): C {
  const current = migrations.length ? migrations[migrations.length - 1].to : 1;
  const from = configVersionOf(config);
  if (from > current) {
    throw new Error(`${nodeType}: config version ${from} is newer than this node package supports (${current}); upgrade the node package`);
  }
  let out: Record<string, unknown> = { ...config };
  for (const step of migrations) {
    if (step.to > from) out = { ...step.up(out), version: step.to };
  }
  out.version = current;
  return out as unknown as C;
}
