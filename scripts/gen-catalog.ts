// Deterministic synthetic catalog of the same shape as test/fixtures/catalog.jsonl,
// for load and latency tests of the search engine (default 100k items).
//   node --import tsx scripts/gen-catalog.ts [--count 100000] [--seed 42] [--out FILE.jsonl] [--devices-out FILE.json]
// Also importable: generateCatalog({count, seed}) → {items, devices}.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CatalogItem, DeviceInfo } from '../src/search/types';

export interface GenOptions {
  count: number;
  seed: number;
}

/** mulberry32: tiny, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

interface ModelSpec {
  brand: string;
  name: string;
  /** Models sharing parts with this one (same chassis). */
  siblings: string[];
  battery: string;
  codes: string[];
}

const COLORS = ['черный', 'белый', 'синий', 'голубой', 'золотой', 'красный', 'фиолетовый', 'зеленый', 'серый', 'розовый'];

/** Model names per brand: series × numbers × suffixes, like a real wholesaler's device list. */
function modelNames(): { brand: string; name: string; family: string }[] {
  const out: { brand: string; name: string; family: string }[] = [];
  const add = (brand: string, family: string, names: string[]) => names.forEach((n) => out.push({ brand, name: `${brand} ${n}`, family }));
  const iphones: string[] = ['SE 2020', 'SE 2022', 'X', 'XR', 'XS', 'XS Max'];
  for (const n of [6, 7, 8]) iphones.push(`iPhone ${n}`, `iPhone ${n} Plus`);
  for (const n of [11, 12, 13, 14, 15, 16]) for (const s of ['', ' mini', ' Plus', ' Pro', ' Pro Max']) iphones.push(`iPhone ${n}${s}`);
  add('Apple', 'iphone', iphones.map((n) => (n.startsWith('iPhone') ? n : `iPhone ${n}`)));
  const galaxy: string[] = [];
  for (const series of ['A', 'M', 'F']) for (let n = 1; n <= 99; n++) for (const s of ['', 's', ' Core', ' 5G']) galaxy.push(`Galaxy ${series}${String(n).padStart(2, '0')}${s}`);
  for (let n = 8; n <= 24; n++) for (const s of ['', ' Plus', ' Ultra', ' FE']) galaxy.push(`Galaxy S${n}${s}`);
  for (let n = 8; n <= 20; n++) for (const s of ['', ' Plus', ' Ultra', ' Lite']) galaxy.push(`Galaxy Note ${n}${s}`);
  add('Samsung', 'galaxy', galaxy);
  const xiaomi: string[] = [];
  for (let n = 4; n <= 14; n++) for (const s of ['', 'A', 'C', 'T', 'X', ' Prime', ' Pro']) xiaomi.push(`Redmi ${n}${s}`);
  for (let n = 4; n <= 14; n++) for (const s of ['', 'S', 'T', ' Pro', ' Pro Plus', ' 5G', ' Pro 5G']) xiaomi.push(`Redmi Note ${n}${s}`);
  for (const l of ['X', 'M', 'F', 'C']) for (let n = 1; n <= 7; n++) for (const s of ['', ' Pro', ' NFC', ' GT']) xiaomi.push(`Poco ${l}${n}${s}`);
  for (let n = 8; n <= 14; n++) for (const s of ['', ' Lite', ' Pro', ' Ultra', 'T', 'T Pro']) xiaomi.push(`Mi ${n}${s}`);
  add('Xiaomi', 'xiaomi', xiaomi);
  const honor: string[] = [];
  for (let n = 7; n <= 90; n += n < 10 ? 1 : 10) for (const s of ['', 'A', 'C', 'S', 'X', ' Lite', ' Pro', 'i']) honor.push(`${n}${s}`);
  for (let n = 5; n <= 9; n++) for (const s of ['', 'a', 'b', 'c']) honor.push(`X${n}${s}`);
  add('Honor', 'honor', honor);
  const huawei: string[] = [];
  for (let n = 10; n <= 60; n += 10) for (const s of ['', ' Lite', ' Pro']) huawei.push(`P${n}${s}`);
  for (const y of [2018, 2019, 2020, 2021]) huawei.push(`P Smart ${y}`, ...[5, 6, 7, 8, 9].map((n) => `Y${n} ${y}`));
  for (let n = 3; n <= 11; n++) for (const s of ['', 'i', 'T', ' Pro', ' SE']) huawei.push(`Nova ${n}${s}`);
  for (let n = 10; n <= 50; n += 10) for (const s of ['', ' Lite', ' Pro']) huawei.push(`Mate ${n}${s}`);
  add('Huawei', 'huawei', huawei);
  const realme: string[] = [];
  for (let n = 1; n <= 67; n++) realme.push(`C${n}`, `C${n}Y`);
  for (let n = 5; n <= 12; n++) for (const s of ['', ' Pro', ' Pro+', 'i', 's']) realme.push(`${n}${s}`);
  add('Realme', 'realme', realme);
  const tecno: string[] = [];
  for (let n = 4; n <= 20; n++) for (const s of ['', ' Pro', ' Go', 'C']) tecno.push(`Spark ${n}${s}`);
  for (let n = 12; n <= 30; n++) for (const s of ['', ' Pro', ' Premier']) tecno.push(`Camon ${n}${s}`);
  for (let n = 2; n <= 6; n++) for (const s of ['', ' Pro', ' Neo']) tecno.push(`Pova ${n}${s}`);
  add('Tecno', 'tecno', tecno);
  const infinix: string[] = [];
  for (let n = 8; n <= 40; n++) for (const s of ['', 'i', ' Play', ' Pro']) infinix.push(`Hot ${n}${s}`);
  for (let n = 7; n <= 40; n++) for (const s of ['', ' Pro', ' Lite']) infinix.push(`Note ${n}${s}`);
  add('Infinix', 'infinix', infinix);
  return out;
}

function batteryCode(r: Rand, brand: string): string {
  switch (brand) {
    case 'Samsung':
      return `EB-B${pick(r, ['A', 'G', 'M', 'N', 'S'])}${int(r, 100, 999)}AB${pick(r, ['Y', 'U', 'E'])}`;
    case 'Xiaomi':
      return pick(r, ['BN', 'BM', 'BP']) + int(r, 30, 69) + pick(r, ['', '', 'A', 'D']);
    case 'Honor':
    case 'Huawei':
      return `HB${int(r, 300000, 499999)}E${pick(r, ['CW', 'FW', 'BW'])}`;
    case 'Realme':
      return `BLP${int(r, 600, 899)}`;
    case 'Tecno':
    case 'Infinix':
      return `BL-${int(r, 30, 59)}${pick(r, ['LT', 'BX', 'CX', 'DT'])}`;
    default:
      return '';
  }
}

function modelCodes(r: Rand, brand: string, name: string): string[] {
  const digits = (name.match(/\d+/)?.[0] ?? '0').padStart(2, '0');
  switch (brand) {
    case 'Apple':
      return [`A${int(r, 1500, 3200)}`, `A${int(r, 1500, 3200)}`];
    case 'Samsung':
      return [`SM-${name.split(' ').pop()![0]}${digits}${int(r, 0, 9)}${pick(r, ['F', 'FN', 'B', 'G'])}`];
    case 'Xiaomi':
      return [`M${int(r, 1800, 2399)}J${int(r, 10, 99)}${pick(r, ['G', 'SG', 'CG'])}`];
    default:
      return [`${pick(r, ['JSN', 'STK', 'HRY', 'MAR', 'RMX', 'KF', 'X6'])}-L${int(r, 10, 99)}`];
  }
}

/** Groups neighbouring models into chassis that share parts (12 / 12 Pro, A30 / A50 / A30s). */
function buildSpecs(r: Rand): ModelSpec[] {
  const names = modelNames();
  const specs: ModelSpec[] = [];
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    const next = names[i + 1];
    const shared = next && next.brand === n.brand && r() < 0.25 ? [next.name] : [];
    specs.push({ brand: n.brand, name: n.name, siblings: shared, battery: batteryCode(r, n.brand), codes: modelCodes(r, n.brand, n.name) });
  }
  return specs;
}

/** EAN-13 with a valid check digit. */
function ean13(n: number): string {
  const base = `460${String(n).padStart(9, '0')}`;
  const sum = [...base].reduce((s, d, i) => s + Number(d) * (i % 2 ? 3 : 1), 0);
  return base + ((10 - (sum % 10)) % 10);
}

function uuid(r: Rand): string {
  const h = () => Math.floor(r() * 16).toString(16);
  const part = (k: number) => Array.from({ length: k }, h).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-${pick(r, ['8', '9', 'a', 'b'])}${part(3)}-${part(12)}`;
}

interface PartTemplate {
  type: string;
  section: string;
  article: string;
  name: (models: string, spec: ModelSpec) => string;
  variants: (r: Rand, spec: ModelSpec) => { quality: string | null; color: string | null; suffix?: string }[];
  price: [number, number];
}

const apple = (s: ModelSpec) => s.brand === 'Apple';
const colorsFor = (r: Rand, k: number) => [...COLORS].sort(() => r() - 0.5).slice(0, k);

const TEMPLATES: PartTemplate[] = [
  {
    type: 'display', section: 'Дисплеи', article: 'DIS', price: [900, 16000],
    name: (m) => `Дисплей в сборе с тачскрином для ${m}`,
    variants: (r, s) => {
      const qualities = apple(s) ? ['Оригинал (снятый)', 'OLED', 'Incell', 'Копия AAA'] : ['Оригинал (Service Pack)', 'OLED', 'Incell', 'Копия AAA'];
      return qualities.filter(() => r() < 0.7).flatMap((q) => [
        { quality: q, color: 'черный' },
        ...(r() < 0.3 ? [{ quality: q, color: 'белый' }] : []),
        ...(!apple(s) && r() < 0.3 ? [{ quality: q, color: 'черный', suffix: ' в рамке' }] : []),
      ]);
    },
  },
  {
    type: 'battery', section: 'Аккумуляторы', article: 'BAT', price: [500, 3500],
    name: (m, s) => `Аккумулятор ${s.battery ? s.battery + ' ' : ''}для ${m}`,
    variants: (r, s) => (apple(s) ? ['Оригинал (снятый)', 'Премиум (повышенная емкость)'] : ['Оригинал', 'Премиум']).filter(() => r() < 0.8).map((q) => ({ quality: q, color: null })),
  },
  {
    type: 'back_cover', section: 'Корпусные детали', article: 'BAC', price: [300, 2500],
    name: (m) => `Задняя крышка для ${m}`,
    variants: (r, s) => (apple(s) ? [] : colorsFor(r, int(r, 1, 5)).map((c) => ({ quality: null, color: c }))),
  },
  {
    type: 'back_glass', section: 'Корпусные детали', article: 'BAC', price: [300, 1500],
    name: (m) => `Стекло задней крышки для ${m}`,
    variants: (r, s) => (apple(s) ? colorsFor(r, int(r, 1, 4)).map((c) => ({ quality: null, color: c })) : []),
  },
  { type: 'camera_glass', section: 'Камеры', article: 'CAM', price: [150, 600], name: (m) => `Стекло камеры для ${m}`, variants: (r) => (r() < 0.7 ? [{ quality: null, color: r() < 0.5 ? 'черный' : null }] : []) },
  { type: 'rear_camera', section: 'Камеры', article: 'REA', price: [600, 6000], name: (m) => `Камера основная (задняя) для ${m}`, variants: (r) => (r() < 0.7 ? [{ quality: null, color: null }] : []) },
  { type: 'front_camera', section: 'Камеры', article: 'FRO', price: [300, 2500], name: (m) => `Камера фронтальная для ${m}`, variants: (r) => (r() < 0.6 ? [{ quality: null, color: null }] : []) },
  { type: 'loudspeaker', section: 'Динамики', article: 'LOU', price: [200, 900], name: (m) => `Динамик полифонический (звонок) для ${m}`, variants: (r) => (r() < 0.7 ? [{ quality: null, color: null }] : []) },
  { type: 'earpiece', section: 'Динамики', article: 'EAR', price: [200, 900], name: (m) => `Динамик слуховой (разговорный) для ${m}`, variants: (r) => (r() < 0.6 ? [{ quality: null, color: null }] : []) },
  {
    type: 'charging', section: 'Шлейфы и платы', article: 'CHA', price: [250, 1200],
    name: (m) => `Плата с разъемом зарядки для ${m}`,
    variants: (r, s) => (apple(s) || r() < 0.2 ? [] : [{ quality: r() < 0.5 ? 'Оригинал' : null, color: null }]),
  },
  {
    type: 'charging_flex', section: 'Шлейфы и платы', article: 'CHA', price: [300, 1500],
    name: (m) => `Шлейф разъема зарядки с микрофоном для ${m}`,
    variants: (r, s) => (apple(s) && r() < 0.9 ? [{ quality: r() < 0.5 ? 'Оригинал' : null, color: null }] : []),
  },
  { type: 'power_flex', section: 'Шлейфы и платы', article: 'POW', price: [200, 900], name: (m) => `Шлейф кнопки включения и громкости для ${m}`, variants: (r) => (r() < 0.5 ? [{ quality: null, color: null }] : []) },
  { type: 'sim_tray', section: 'Корпусные детали', article: 'SIM', price: [100, 400], name: (m) => `Лоток SIM-карты для ${m}`, variants: (r) => (r() < 0.5 ? colorsFor(r, int(r, 1, 4)).map((c) => ({ quality: null, color: c })) : []) },
  { type: 'adhesive', section: 'Расходники', article: 'ADH', price: [60, 150], name: (m) => `Проклейка дисплея (скотч) для ${m}`, variants: (r, s) => (apple(s) || r() < 0.3 ? [{ quality: null, color: null }] : []) },
  { type: 'kit_display', section: 'Комплекты', article: 'KIT', price: [1500, 9000], name: (m) => `Комплект для замены дисплея для ${m} (дисплей, проклейка, медиатор)`, variants: (r) => (r() < 0.25 ? [{ quality: null, color: null }] : []) },
  { type: 'kit_battery', section: 'Комплекты', article: 'KIT', price: [800, 4000], name: (m) => `Комплект для замены аккумулятора для ${m} (аккумулятор, проклейка, пинцет)`, variants: (r) => (r() < 0.25 ? [{ quality: null, color: null }] : []) },
];

/** Tools and consumables fit no model; taken from the template catalog when there is one. */
const DEFAULT_TOOLS = ['Клей T-7000 черный (15 мл)', 'Медиатор пластиковый (10 шт)', 'Спирт изопропиловый (100 мл)', 'Термоковрик силиконовый', 'Пинцет антистатический изогнутый'];
const TEMPLATE_CATALOG = path.resolve(__dirname, '..', 'test', 'fixtures', 'catalog.jsonl');

function toolNames(): string[] {
  if (!fs.existsSync(TEMPLATE_CATALOG)) return DEFAULT_TOOLS;
  const tools = fs
    .readFileSync(TEMPLATE_CATALOG, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CatalogItem)
    .filter((i) => !i.models?.length)
    .map((i) => i.name);
  return tools.length ? tools : DEFAULT_TOOLS;
}

/** Display name of a part fitting several models: "Apple iPhone 12 / 12 Pro". */
function modelsLabel(models: string[], brand: string): string {
  const [first, ...rest] = models;
  const series = first!.split(' ').slice(1, -1).join(' ');
  return [first, ...rest.map((m) => m.replace(`${brand} `, '').replace(new RegExp(`^${series} `), series.includes('iPhone') ? '' : `${series} `))].join(' / ');
}

export function generateCatalog(opts: GenOptions): { items: CatalogItem[]; devices: DeviceInfo[] } {
  const r = rng(opts.seed);
  const specs = buildSpecs(r);
  const devices: DeviceInfo[] = specs.map((s) => ({ brand: s.brand, model: s.name, model_codes: s.codes }));
  const items: CatalogItem[] = [];
  let id = 100001;
  const push = (item: Omit<CatalogItem, 'id' | 'xml_id' | 'code' | 'barcode' | 'price_master' | 'stock'> & { price: number }) => {
    const n = id++;
    items.push({
      id: n, xml_id: uuid(r), code: `УТ-${String(n).padStart(8, '0')}`, ...item,
      price_master: Math.round((item.price * 0.85) / 10) * 10,
      stock: { central: r() < 0.2 ? 0 : int(r, 0, 50), north: r() < 0.5 ? 0 : int(r, 0, 10) },
      barcode: ean13(n),
    });
  };
  // Spread the item budget over the models: each round adds every template once per model.
  for (let round = 0; items.length < opts.count; round++) {
    for (const spec of specs) {
      if (items.length >= opts.count) break;
      const models = [spec.name, ...spec.siblings];
      for (const t of TEMPLATES) {
        for (const v of t.variants(r, spec)) {
          if (items.length >= opts.count) break;
          // Later rounds are further supplier variants of the same part.
          const label = modelsLabel(models, spec.brand) + (v.suffix ?? '') + (round ? ` (вариант ${round + 1})` : '');
          const color = v.color ? ` (${v.color})` : '';
          const quality = v.quality ? ` — ${v.quality}` : '';
          const article = t.type === 'battery' && spec.battery ? spec.battery : `${t.article}-${id}`;
          push({ article, name: t.name(label, spec) + color + quality, section: t.section, part_type: t.type, brand: spec.brand, models, quality: v.quality, color: v.color, price: int(r, t.price[0], t.price[1]) });
        }
      }
    }
    if (round === 0) for (const name of toolNames()) push({ article: `TOOL-${id}`, name, section: 'Инструменты и расходники', part_type: 'tool', brand: null, models: [], quality: null, color: null, price: int(r, 90, 900) });
  }
  return { items: items.slice(0, opts.count), devices };
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

function main(): void {
  const count = Number(arg('count', '100000'));
  const seed = Number(arg('seed', '42'));
  const out = arg('out', path.resolve(__dirname, '..', 'bench', 'results', `catalog-${count}.jsonl`));
  const devicesOut = arg('devices-out', out.replace(/\.jsonl$/, '') + '.devices.json');
  const { items, devices } = generateCatalog({ count, seed });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
  fs.writeFileSync(devicesOut, JSON.stringify(devices, null, 1));
  process.stdout.write(`items=${items.length} models=${devices.length} out=${out} devices=${devicesOut}\n`);
}

if (require.main === module) main();
