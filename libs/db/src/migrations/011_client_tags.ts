import { type Kysely, sql } from 'kysely';

/**
 * Client tags (issue 10): `tags` as the agent wrote them (trimmed, case kept), `tag_keys`
 * the same tags lower-cased (JavaScript's `toLowerCase`, written by the projector), which is
 * what `?tag=` compares: `tag_keys @> ARRAY[lower-cased tag]`, served by the GIN index. A
 * separate column rather than an expression index: lower-casing a whole array is no immutable
 * built-in, and the projector and the query lower-case with the same function. Rows from
 * before tags carry none; no event before this had any.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE clients ADD COLUMN IF NOT EXISTS tags text[] NOT NULL DEFAULT '{}';
    ALTER TABLE clients ADD COLUMN IF NOT EXISTS tag_keys text[] NOT NULL DEFAULT '{}';
    CREATE INDEX IF NOT EXISTS clients_tag_keys_idx ON clients USING gin (tag_keys);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS clients_tag_keys_idx;
    ALTER TABLE clients DROP COLUMN IF EXISTS tag_keys;
    ALTER TABLE clients DROP COLUMN IF EXISTS tags;
  `.execute(db);
}
