import type { Agent } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { sql } from 'kysely';
import type { StreamName } from '@realtoros/contracts';

export async function getAgent(db: Db, id: string): Promise<Agent | undefined> {
  const row = await db.selectFrom('agents').select(['id', 'email', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  return row ? { ...row, created_at: row.created_at.toISOString() } : undefined;
}

/** For login only: includes the password hash. */
export async function findAgentCredentials(db: Db, email: string) {
  return db
    .selectFrom('agents')
    .select(['id', 'email', 'name', 'created_at', 'password_hash'])
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/** How far the read models have caught up with a stream (read-your-writes). */
export async function projectedSeq(db: Db, stream: StreamName): Promise<number> {
  const row = await db
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('projection', '=', 'read_models')
    .where('stream', '=', stream)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : 0;
}
