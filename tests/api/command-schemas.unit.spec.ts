import { COMMANDS, schemaIssues } from '@realtoros/contracts';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';

/**
 * The services check every command against the same contracts (libs/messaging validates the
 * payload with `schemaIssues` before a handler runs), so text that Postgres cannot store is
 * refused there too, not only at the gateway. Fields are derived from the schemas.
 */
type Schema = {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  patternProperties?: Record<string, Schema>;
  anyOf?: Schema[];
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  minLength?: number;
  pattern?: string;
  const?: unknown;
};

/** Pointers to every `format: text` string, map values as `/<map>/k`, map keys as `/<map>/*key*`. */
function textPointers(s: Schema, at = ''): string[] {
  if (s.anyOf) return [...new Set(s.anyOf.flatMap((b) => textPointers(b, at)))];
  if (s.type === 'string' && s.format === 'text') return [at];
  if (s.type === 'array' && s.items) return textPointers(s.items, `${at}/0`);
  if (s.type !== 'object') return [];
  const out = Object.entries(s.properties ?? {}).flatMap(([k, v]) => textPointers(v, `${at}/${k}`));
  const map = Object.values(s.patternProperties ?? {})[0];
  if (map) out.push(...textPointers(map, `${at}/k`), `${at}/*key*`);
  return out;
}

/** A value the schema accepts, every optional property present. */
function sample(s: Schema): unknown {
  if (s.anyOf) return sample(s.anyOf.find((b) => b.type !== 'null') ?? {});
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v)]));
      const map = Object.values(s.patternProperties ?? {})[0];
      if (map) out.k = sample(map);
      return out;
    }
    case 'array':
      return s.items ? [sample(s.items)] : [];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'uuid') return '0190a000-0000-7000-8000-000000000001';
      if (s.format === 'email') return 'a@example.com';
      if (s.format === 'date-time') return '2030-01-02T03:04:05Z';
      if (s.format === 'time-zone') return 'America/Chicago';
      if (s.format === 'time-of-day') return '09:00';
      if (s.format === 'local-date') return '2030-01-02';
      if (s.pattern === '^[0-9a-f]{64}$') return 'a'.repeat(64); // a sha256 in hex (an import's file)
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return 'x';
  }
}

function withValue(value: unknown, pointer: string, bad: string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const parts = pointer.split('/').slice(1);
  let node = copy as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  const last = parts.at(-1)!;
  if (last === '*key*') {
    node[bad] = node.k;
    delete node.k;
  } else node[last] = bad;
  return copy;
}

describe('command schemas refuse text Postgres cannot store', () => {
  const commands = Object.entries(COMMANDS).flatMap(([service, byName]) =>
    Object.entries(byName as Record<string, TSchema>).map(([name, schema]) => ({
      id: `${service}.${name}`,
      schema: schema as unknown as Schema,
    })),
  );

  it('every text field of every command: NUL and lone surrogates → an issue at that field', () => {
    const checked: string[] = [];
    for (const { id, schema } of commands) {
      const valid = sample(schema);
      expect(schemaIssues(schema as unknown as TSchema, valid), `${id} sample`).toEqual([]);
      for (const ptr of textPointers(schema)) {
        for (const bad of ['a\u0000b', 'lone\uD800', '\uDC00x']) {
          const issues = schemaIssues(schema as unknown as TSchema, withValue(valid, ptr, bad));
          const at = ptr.endsWith('/*key*') ? ptr.slice(0, -'/*key*'.length) : ptr;
          expect(
            issues.some((i) => i.pointer === at || i.pointer.startsWith(`${at}/`)),
            `${id} ${ptr} = ${JSON.stringify(bad)}: ${JSON.stringify(issues)}`,
          ).toBe(true);
        }
        checked.push(`${id} ${ptr}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'crm.register_agent /name',
        'crm.create_client /name',
        'crm.create_client /custom_fields/k',
        'crm.create_client /custom_fields/*key*',
        'crm.update_client /changes/notes',
        'scheduler.create_task /notes',
        'scheduler.update_task /notes',
        'ai.send_now /subject',
        'ai.preview /agent_instructions',
        'mailer.record_webhook_events /events/0/reason',
        'scheduler.create_plan /name',
        'scheduler.create_plan /steps/0/label',
        'scheduler.create_plan /steps/0/instructions',
        'scheduler.change_plan /changes/steps/0/instructions',
        'crm.update_settings /changes/signature',
        'crm.update_settings /changes/postal_address',
      ]),
    );
  });

  it('an emoji (a surrogate pair) is ordinary text, and a date-time must be a real instant', () => {
    const create = COMMANDS.crm.create_client;
    expect(schemaIssues(create, { name: 'Zoë 🏠', email: 'z@example.com', custom_fields: { '🏠 style': 'ranch 🌵' } })).toEqual([]);
    for (const bad of ['2026-06-30T23:59:60Z', '2026-02-30T10:00:00Z', '2026-06-30T24:00:00Z'])
      expect(
        schemaIssues(COMMANDS.scheduler.create_task, { client_id: '0190a000-0000-7000-8000-000000000001', scheduled_for: bad })[0]?.pointer,
      ).toBe('/scheduled_for');
  });
});
