/**
 * The shop's clock. `now()` is the injectable wall clock (auth_date and token expiry checks);
 * `stamp()` gives strictly increasing change timestamps (millisecond ISO strings), so cursors
 * such as `filter[>updatedAt]=<last seen>` and `sale.order.changes?since=<last seen>` never
 * skip a change that shares its millisecond with another one.
 */
export class ShopClock {
  private last = 0;

  constructor(readonly now: () => Date = () => new Date()) {}

  stamp(): string {
    this.last = Math.max(this.now().getTime(), this.last + 1);
    return new Date(this.last).toISOString();
  }

  /** Reserves a stamp at an explicit time (catalog load), keeping later stamps after it. */
  stampAt(ms: number): string {
    this.last = Math.max(this.last, ms);
    return new Date(ms).toISOString();
  }

  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
