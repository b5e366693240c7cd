// Realistic master queries rendered from a catalog (NOT from the golden set):
// part-type slang, Cyrillic model names, dropped brands, spoken numbers, typos,
// wrong keyboard layout, quality/colour words, codes, barcodes and models we do
// not stock. Used by the latency benchmark.
import { rng } from '../scripts/gen-catalog';
import type { CatalogItem } from '../src/search/types';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const PART_WORDS: Record<string, string[]> = {
  display: ['дисплей', 'экран', 'модуль', 'дисплей в сборе', 'тачскрин', 'lcd'],
  battery: ['аккумулятор', 'акб', 'батарея', 'батарейка'],
  back_cover: ['задняя крышка', 'крышка', 'задник'],
  back_glass: ['заднее стекло', 'стекло задней крышки'],
  camera_glass: ['стекло камеры', 'линза камеры'],
  rear_camera: ['основная камера', 'камера'],
  front_camera: ['фронтальная камера', 'фронталка'],
  loudspeaker: ['звонок', 'полифонический динамик'],
  earpiece: ['слуховой динамик', 'разговорный динамик'],
  charging: ['плата зарядки', 'нижняя плата', 'гнездо зарядки'],
  charging_flex: ['шлейф зарядки', 'разъем зарядки'],
  power_flex: ['шлейф кнопки включения', 'кнопка включения'],
  sim_tray: ['лоток сим', 'сим лоток'],
  adhesive: ['проклейка', 'скотч'],
  kit_display: ['комплект для замены дисплея'],
  kit_battery: ['комплект для замены аккумулятора'],
};

const CYRILLIC: Record<string, string> = {
  iphone: 'айфон', samsung: 'самсунг', galaxy: 'галакси', xiaomi: 'сяоми', redmi: 'редми', note: 'ноут', poco: 'поко',
  honor: 'хонор', huawei: 'хуавей', realme: 'реалми', tecno: 'текно', spark: 'спарк', pro: 'про', max: 'макс', mini: 'мини',
  plus: 'плюс', lite: 'лайт', nfc: 'нфс',
};
const NUMBER_WORDS: Record<string, string> = { '7': 'семь', '8': 'восемь', '9': 'девять', '10': 'десять', '11': 'одиннадцать', '12': 'двенадцать', '13': 'тринадцать', '14': 'четырнадцать', '15': 'пятнадцать' };
const NOISE = ['нужен', 'есть', 'срочно', 'подскажите', 'цена'];
const MISSING = ['iphone 5s', 'nokia 6300', 'lenovo k6', 'galaxy s3 mini', 'pixel 7', 'sony xperia 5', 'redmi note 20', 'oneplus 9'];

const LAYOUT_RU = 'йцукенгшщзхъфывапролджэячсмитьбю';
const LAYOUT_EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.";
const toLatinLayout = (s: string) => [...s].map((c) => LAYOUT_EN[LAYOUT_RU.indexOf(c)] ?? c).join('');

function renderModel(r: Rand, model: string): string {
  const words = model.toLowerCase().split(' ').slice(r() < 0.5 ? 1 : 0);
  return words
    .map((w) => {
      if (CYRILLIC[w] && r() < 0.4) return CYRILLIC[w];
      if (NUMBER_WORDS[w] && r() < 0.1) return NUMBER_WORDS[w];
      return w;
    })
    .join(' ');
}

function typo(r: Rand, w: string): string {
  if (w.length < 5) return w;
  const i = 1 + Math.floor(r() * (w.length - 2));
  return r() < 0.5 ? w.slice(0, i) + w.slice(i + 1) : w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
}

/** `n` queries rendered from random catalog items. */
export function generateQueries(items: CatalogItem[], n: number, seed = 7): string[] {
  const r = rng(seed);
  const parts = items.filter((i) => i.models?.length && PART_WORDS[i.part_type ?? '']);
  const out: string[] = [];
  while (out.length < n) {
    const kind = r();
    const it = pick(r, parts);
    if (kind < 0.04) out.push(it.barcode ?? it.name);
    else if (kind < 0.06) out.push(it.code ?? it.name);
    else if (kind < 0.1) out.push(`${pick(r, PART_WORDS[it.part_type!]!)} ${pick(r, MISSING)}`);
    else out.push(partQuery(r, it));
  }
  return out;
}

function partQuery(r: Rand, it: CatalogItem): string {
  const words = [pick(r, PART_WORDS[it.part_type!]!), renderModel(r, pick(r, it.models!))];
  if (it.quality && r() < 0.2) words.push(it.quality.split(' ')[0]!.toLowerCase());
  if (it.color && r() < 0.2) words.push(it.color);
  if (r() < 0.3) words.reverse();
  if (r() < 0.1) words.unshift(pick(r, NOISE));
  let q = words.join(' ');
  const noise = r();
  if (noise < 0.1) q = q.split(' ').map((w) => (r() < 0.5 ? typo(r, w) : w)).join(' ');
  else if (noise < 0.15) q = toLatinLayout(q);
  return q;
}
