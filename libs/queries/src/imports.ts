import type { Db } from '@realtoros/db';
import { sql } from 'kysely';

/** A CSV import job as `GET /api/imports/{id}` answers it (ARCHITECTURE.md §10, plus the fields named in the README). */
export type ImportJob = {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  file_name: string | null;
  on_duplicate: 'skip' | 'update';
  plan_id: string | null;
  total: number;
  /** Rows handled so far (1..done, in file order). */
  done: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: { row: number; reason: string }[];
  /** Why a job that could not run failed (not a row's reason). */
  failure_reason: string | null;
  created_at: string;
  finished_at: string | null;
};

const COLUMNS = [
  'id',
  'status',
  'file_name',
  'on_duplicate',
  'plan_id',
  'total',
  'done',
  'created',
  'updated',
  'skipped',
  'failed',
  'failure_reason',
  'created_at',
  'finished_at',
] as const;

type Row = { created_at: Date; finished_at: Date | null };
const toJob = <R extends Row>(r: R) => ({
  ...r,
  created_at: r.created_at.toISOString(),
  finished_at: r.finished_at?.toISOString() ?? null,
});

/** One of the agent's import jobs, with its rejected rows; another agent's reads as absent. */
export async function getImport(db: Db, agentId: string, id: string): Promise<ImportJob | null> {
  const row = await db
    .selectFrom('imports')
    .where('agent_id', '=', agentId)
    .where('id', '=', id)
    .select([...COLUMNS, 'errors'])
    .executeTakeFirst();
  return row ? toJob(row) : null;
}

/** The agent's latest import jobs, newest first, without their error lists. */
export async function recentImports(db: Db, agentId: string, limit = 20): Promise<Omit<ImportJob, 'errors'>[]> {
  const rows = await db
    .selectFrom('imports')
    .where('agent_id', '=', agentId)
    .select([...COLUMNS])
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toJob);
}

/** Which of these (lower-cased) emails already belong to one of the agent's clients: the preview's duplicate count. */
export async function existingClientEmails(db: Db, agentId: string, emails: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < emails.length; i += 5000) {
    const rows = await db
      .selectFrom('clients')
      .where('agent_id', '=', agentId)
      .where('is_deleted', '=', false)
      // The unique (agent_id, lower(email)) index of live clients answers this.
      .where(sql<string>`lower(email)`, 'in', emails.slice(i, i + 5000))
      .select(sql<string>`lower(email)`.as('email'))
      .execute();
    for (const r of rows) found.add(r.email);
  }
  return found;
}
