import { type Kysely, sql } from 'kysely';

/**
 * Credentials leave the event log (issue 13): a new `AgentRegistered` carries no password
 * hash (the gateway keeps it in the KV bucket `auth_credentials`), so the read model's
 * column holds only what old events carried — the hash an agent registered before this
 * change logs in with until that log-in moves it to the bucket as argon2id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE agents ALTER COLUMN password_hash DROP NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE agents SET password_hash = '' WHERE password_hash IS NULL`.execute(db);
  await sql`ALTER TABLE agents ALTER COLUMN password_hash SET NOT NULL`.execute(db);
}
