/** The business runs on Moscow time: "цены и наличие на 14:05". */
export const BUSINESS_TIME_ZONE = 'Europe/Moscow';

// Creating an Intl formatter costs far more than using one; every search answer formats twice.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('ru-RU', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, fmt);
  }
  return fmt;
}

function parts(date: Date, timeZone: string): { day: string; month: string; year: string; hour: string; minute: string } {
  const fmt = formatterFor(timeZone);
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) out[p.type] = p.value;
  return { day: out.day ?? '', month: out.month ?? '', year: out.year ?? '', hour: out.hour ?? '', minute: out.minute ?? '' };
}

/** "14:05" for today (in the zone), "25.11 14:05" for another day of this year, "25.11.2025 14:05" otherwise. */
export function formatAsOfTime(asOf: Date, now: Date = new Date(), timeZone = BUSINESS_TIME_ZONE): string {
  const a = parts(asOf, timeZone);
  const n = parts(now, timeZone);
  const time = `${a.hour}:${a.minute}`;
  if (a.year === n.year && a.month === n.month && a.day === n.day) return time;
  if (a.year === n.year) return `${a.day}.${a.month} ${time}`;
  return `${a.day}.${a.month}.${a.year} ${time}`;
}

/** "цены и наличие на 14:05" — what degraded answers say about their freshness. */
export function asOfText(asOf: Date | null, now: Date = new Date(), timeZone = BUSINESS_TIME_ZONE): string | null {
  return asOf ? `цены и наличие на ${formatAsOfTime(asOf, now, timeZone)}` : null;
}
