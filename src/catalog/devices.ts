import { existsSync, readFileSync } from 'node:fs';
import type { DeviceInfo } from '../search/types';

/** The device dictionary; a missing file means no extra model codes, not an error. */
export function readDevices(file: string | undefined): DeviceInfo[] {
  if (!file || !existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(parsed)) throw new Error(`${file}: the device dictionary must be a JSON array`);
  return parsed.filter((d): d is DeviceInfo => !!d && typeof d === 'object' && typeof (d as DeviceInfo).model === 'string' && typeof (d as DeviceInfo).brand === 'string');
}
