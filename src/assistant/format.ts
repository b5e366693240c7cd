/** Numbers, money, times and statuses as the masters read them (Russian, Moscow time). */

export const BUSINESS_TIME_ZONE = 'Europe/Moscow';

const MONEY = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 2 });

/** 2450 → "2 450 ₽" (narrow no-break spaces, as Russian typography has it). */
export function rub(amount: number | null | undefined): string {
  if (amount === null || amount === undefined || !Number.isFinite(amount)) return 'цена по запросу';
  return `${MONEY.format(amount)} ₽`;
}

export function stockText(units: number): string {
  return units > 0 ? `в наличии ${units} шт` : 'нет в наличии';
}

function parts(date: Date, timeZone: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('ru-RU', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** "14:05" (Moscow time). */
export function timeHHMM(iso: string | Date, timeZone = BUSINESS_TIME_ZONE): string {
  const p = parts(iso instanceof Date ? iso : new Date(iso), timeZone);
  return `${p.hour}:${p.minute}`;
}

/** "14:05" today, "25.11 14:05" another day this year, "25.11.2025 14:05" otherwise (Moscow time). */
export function moscowTime(iso: string | Date, now: Date = new Date(), timeZone = BUSINESS_TIME_ZONE): string {
  const a = parts(iso instanceof Date ? iso : new Date(iso), timeZone);
  const n = parts(now, timeZone);
  const time = `${a.hour}:${a.minute}`;
  if (a.year === n.year && a.month === n.month && a.day === n.day) return time;
  if (a.year === n.year) return `${a.day}.${a.month} ${time}`;
  return `${a.day}.${a.month}.${a.year} ${time}`;
}

/** "26.11" (or "26.11.2025" for another year). */
export function moscowDate(iso: string | Date, now: Date = new Date(), timeZone = BUSINESS_TIME_ZONE): string {
  const a = parts(iso instanceof Date ? iso : new Date(iso), timeZone);
  const n = parts(now, timeZone);
  return a.year === n.year ? `${a.day}.${a.month}` : `${a.day}.${a.month}.${a.year}`;
}

/** Order statuses in the words the masters use. */
export const ORDER_STATUS_WORDS: Readonly<Record<string, string>> = {
  new: 'новый',
  confirmed: 'подтверждён',
  assembling: 'собирается',
  handed_to_courier: 'передан курьеру',
  delivered: 'доставлен',
  cancelled: 'отменён',
};

export const ORDER_STATUS_ICONS: Readonly<Record<string, string>> = {
  new: '🆕',
  confirmed: '✅',
  assembling: '📦',
  handed_to_courier: '🚚',
  delivered: '🏁',
  cancelled: '✖️',
};

export function orderStatusWord(status: string, delivery?: string): string {
  if (status === 'delivered' && delivery === 'pickup') return 'выдан';
  return ORDER_STATUS_WORDS[status] ?? status;
}

export const RETURN_STATUS_WORDS: Readonly<Record<string, string>> = {
  requested: 'на рассмотрении',
  accepted: 'принят',
  rejected: 'отклонён',
};

export function plural(n: number, one: string, few: string, many: string): string {
  const a = Math.abs(n) % 100;
  const b = a % 10;
  if (a > 10 && a < 20) return many;
  if (b > 1 && b < 5) return few;
  if (b === 1) return one;
  return many;
}
