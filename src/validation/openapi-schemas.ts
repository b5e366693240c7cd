import type { ContractSchema } from './schema-registry';

/**
 * Puts the contracts (contracts/schemas/*.json) into components.schemas. In the contracts, $refs
 * are relative to each file's $id ("common.json#/$defs/phone"); inside one OpenAPI document they
 * must point into it, so they are rewritten to "#/components/schemas/Common/$defs/phone" and
 * $id/$schema are dropped (an $id would change the base URI those refs resolve against).
 */

/** "queue-replay" → "QueueReplay", "returns/reject" → "ReturnsReject". */
export function componentName(contractName: string): string {
  return contractName
    .split(/[/_.-]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

// Keywords whose values are data, not schemas: a "$ref" key inside an example stays as is.
const DATA_KEYWORDS = new Set(['examples', 'example', 'default', 'const', 'enum']);

export class ContractRefs {
  private readonly nameById = new Map<string, string>();

  constructor(private readonly contracts: readonly ContractSchema[]) {
    for (const c of contracts) {
      const name = componentName(c.name);
      if ([...this.nameById.values()].includes(name)) throw new Error(`contracts ${c.name} and another map to the same component name ${name}`);
      this.nameById.set(c.id, name);
    }
  }

  /** components.schemas for the document. */
  componentSchemas(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.contracts) {
      const { $id: _id, $schema: _schema, ...rest } = c.schema;
      out[this.nameById.get(c.id)!] = this.rewrite(rest, c.id);
    }
    return out;
  }

  /** A SchemaSpec string ("queue-replay", "common#/$defs/phone") as a document $ref. */
  refFor(spec: string, baseId: string): string {
    const hashAt = spec.indexOf('#');
    const file = hashAt === -1 ? spec : spec.slice(0, hashAt);
    const pointer = hashAt === -1 ? '' : spec.slice(hashAt + 1);
    const target = file === '' ? baseId : new URL(file.endsWith('.json') ? file : `${file}.json`, baseId).href;
    const name = this.nameById.get(target);
    if (!name) throw new Error(`schema reference "${spec}" does not name a contract under contracts/schemas`);
    if (pointer && !pointer.startsWith('/')) throw new Error(`schema reference "${spec}": only JSON pointer fragments are supported`);
    return `#/components/schemas/${name}${pointer}`;
  }

  private rewrite(node: unknown, baseId: string): unknown {
    if (Array.isArray(node)) return node.map((item) => this.rewrite(item, baseId));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const url = new URL(value, baseId);
        const pointer = url.hash.slice(1); // stays percent-encoded: it goes back into a URI
        url.hash = '';
        out.$ref = this.refFor(`${url.href}#${pointer}`, baseId);
      } else if (key === '$id' || key === '$schema') {
        throw new Error(`contract ${baseId}: nested ${key} is not supported in contracts`);
      } else {
        out[key] = DATA_KEYWORDS.has(key) ? value : this.rewrite(value, baseId);
      }
    }
    return out;
  }
}
