/**
 * Caps the distinct values of a label. Every label value is a separate time series in
 * Prometheus; values that come from data (stream names, degraded components, route paths)
 * must not be able to grow without limit, so past `max` distinct values they collapse into one.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    readonly max: number,
    readonly overflow = 'other',
  ) {}

  value(raw: string): string {
    const v = raw.length > 100 ? raw.slice(0, 100) : raw;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return this.overflow;
    this.seen.add(v);
    return v;
  }
}
