import type { EventType } from '@realtoros/contracts';
import type { Database } from '@realtoros/db';
import { type RawBuilder, sql } from 'kysely';
import type { ProjectedEvent, ProjectionDb } from './projection.ts';

// Multi-row writing for `applyMany`: a batch's events become a few statements per read model
// instead of one per event, with exactly the effect of applying them one by one, in order.
//
// The rule that makes it exact: each event of these read models reads and writes only the
// row(s) of one key (its task, email, client, enrolment…). Events of different keys commute;
// events of one key must keep their order. `rounds` cuts a batch so that round r holds the
// r-th event of every key: inside a round no key appears twice (a multi-row statement never
// touches a row twice, which Postgres refuses for ON CONFLICT and UPDATE … FROM), and rounds
// run in order, so every key sees its events in stream order.

/** The batch in rounds: the r-th event of every key, in stream order within a round. */
export function rounds<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const seen = new Map<string, number>();
  const out: T[][] = [];
  for (const item of items) {
    const key = keyOf(item);
    const r = seen.get(key) ?? 0;
    seen.set(key, r + 1);
    (out[r] ??= []).push(item);
  }
  return out;
}

/** A round's events by type, in order of first appearance (types touch different keys in a round, so their order is free). */
export function byType(items: readonly ProjectedEvent[]): Map<EventType, ProjectedEvent[]> {
  const out = new Map<EventType, ProjectedEvent[]>();
  for (const item of items) {
    const list = out.get(item.event.type);
    if (list) list.push(item);
    else out.set(item.event.type, [item]);
  }
  return out;
}

/** SQL of one column's new value, given `v` (this row's value, of the column's type). */
export type SetExpr = (v: RawBuilder<unknown>) => RawBuilder<unknown>;

export type RowUpdate = {
  /** The row's key values (and any extra typed value the guard names), by `keys` name. */
  key: Record<string, string | number>;
  /** Column → new value (JSON-encodable: read back as the column's type, so a timestamptz takes its ISO string). */
  set: Record<string, unknown>;
};

/**
 * `UPDATE table SET … FROM jsonb_to_recordset(rows) WHERE key = …`: many rows, one statement
 * per distinct set of columns (events of one type mostly set the same ones), 1,000 rows each.
 * A column with an entry in `exprs` is set to that expression of its value (the same SQL the
 * single-row path uses, e.g. `coalesce(task_id, v::uuid)`); others to the value itself.
 * `keys`: name → Postgres type; every key but those in `extra` must equal the row's column of
 * that name. `guard`: a further condition over the typed keys (`k(name)`), e.g. only over an
 * older row. Rows must have distinct keys (use `rounds`).
 */
export async function updateRows(
  db: ProjectionDb,
  table: keyof Database,
  rows: readonly RowUpdate[],
  opts: {
    keys: Record<string, string>;
    extra?: readonly string[];
    exprs?: Record<string, SetExpr>;
    guard?: (k: (name: string) => RawBuilder<unknown>) => RawBuilder<boolean>;
  },
): Promise<void> {
  const shapes = new Map<string, RowUpdate[]>();
  for (const r of rows) {
    const shape = Object.keys(r.set).sort().join(',');
    const list = shapes.get(shape);
    if (list) list.push(r);
    else shapes.set(shape, [r]);
  }
  if (rows.length === 0) return;
  const types = await columnTypes(db, table);
  const keyNames = Object.keys(opts.keys);
  const k = (name: string) => sql.ref(`v.k_${name}`);
  for (const [shape, list] of shapes) {
    if (!shape) continue;
    const columns = shape.split(',');
    const defs = sql.join(
      [
        ...keyNames.map((n) => sql`${sql.id(`k_${n}`)} ${sql.raw(opts.keys[n] as string)}`),
        ...columns.map((c) => {
          const type = types.get(c);
          // A column this table does not have (a change naming an unknown field): the event's fault, as one by one.
          if (!type) throw new TypeError(`${table} has no column ${JSON.stringify(c)}`);
          return sql`${sql.id(`c_${c}`)} ${sql.raw(type)}`;
        }),
      ],
      sql`, `,
    );
    const set = Object.fromEntries(
      columns.map((c) => {
        const v = sql.ref(`v.c_${c}`);
        return [c, opts.exprs?.[c] ? opts.exprs[c](v) : v];
      }),
    );
    for (let i = 0; i < list.length; i += 1000) {
      const json = JSON.stringify(
        list.slice(i, i + 1000).map((r) => {
          const o: Record<string, unknown> = {};
          for (const n of keyNames) o[`k_${n}`] = r.key[n];
          for (const c of columns) o[`c_${c}`] = r.set[c] ?? null;
          return o;
        }),
      );
      const from = sql`jsonb_to_recordset(${json}::jsonb) AS v(${defs})`;
      let q = db
        .updateTable(table)
        .from(from as never) // a raw FROM item: the table itself stays schema-scoped by the query builder
        .set(set as never);
      for (const n of keyNames) if (!opts.extra?.includes(n)) q = q.where(sql<boolean>`${sql.ref(`${table}.${n}`)} = ${k(n)}`);
      if (opts.guard) q = q.where(opts.guard(k));
      await q.execute();
    }
  }
}

const TYPES = new Map<string, Map<string, string>>();

/** Each column's type (`format_type`), read once per process: the scratch tables of a replay are `LIKE` these. */
async function columnTypes(db: ProjectionDb, table: string): Promise<Map<string, string>> {
  const known = TYPES.get(table);
  if (known) return known;
  const rows = await db
    .selectFrom(
      sql<{
        attname: string;
        type: string;
      }>`(SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = ${`public.${table}`}::regclass AND attnum > 0 AND NOT attisdropped)`.as(
        'a',
      ) as never,
    )
    .selectAll()
    .execute();
  const types = new Map((rows as { attname: string; type: string }[]).map((r) => [r.attname, r.type]));
  TYPES.set(table, types);
  return types;
}

/**
 * `INSERT INTO table (columns) SELECT … FROM jsonb_to_recordset(rows) … ON CONFLICT (conflict)
 * DO NOTHING`, 2,000 rows a statement. Why not `.values(rows)`: a VALUES list binds a parameter
 * per cell (a task row has 26), which kysely compiles and Postgres parses and plans for every
 * statement; one JSON parameter keeps the statement small and constant (the busiest inserts of
 * `ops replay`). Each cell is read as its column's type from its JSON value, so rows hold plain
 * values — strings (a timestamptz takes its ISO string), numbers, booleans, null — or, for a
 * jsonb column, the object itself (a pre-stringified JSON value would be stored as a jsonb
 * string, see updateRows).
 * `returning`: columns of the inserted rows to return.
 */
export async function insertRows<R extends Record<string, string | number | boolean | null | { readonly [k: string]: unknown }>>(
  db: ProjectionDb,
  table: keyof Database,
  rows: readonly R[],
  opts: { conflict: readonly string[]; returning?: readonly string[] },
): Promise<Record<string, unknown>[]> {
  const first = rows[0];
  if (!first) return [];
  const types = await columnTypes(db, table);
  const columns = Object.keys(first);
  const defs = sql.join(
    columns.map((c) => {
      const type = types.get(c);
      if (!type) throw new TypeError(`${table} has no column ${JSON.stringify(c)}`);
      return sql`${sql.id(c)} ${sql.raw(type)}`;
    }),
    sql`, `,
  );
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < rows.length; i += 2000) {
    const q = db
      .insertInto(table)
      .columns(columns as never)
      .expression(
        sql`SELECT ${sql.join(columns.map((c) => sql.ref(`v.${c}`)))} FROM jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 2000))}::jsonb) AS v(${defs})`,
      )
      .onConflict((oc) => oc.columns(opts.conflict as never).doNothing());
    if (opts.returning) out.push(...((await q.returning(opts.returning as never).execute()) as Record<string, unknown>[]));
    else await q.execute();
  }
  return out;
}
