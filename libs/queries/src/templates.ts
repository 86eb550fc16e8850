import { fieldsUsed, type Template } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { toJson } from './rows.ts';

/**
 * An agent's email templates (issue 10). As everywhere in this module set, `agent_id =
 * $agent` is the first condition: another agent's template reads as not there, and so does a
 * deleted one.
 */
const COLUMNS = ['id', 'name', 'subject', 'body', 'version', 'created_at', 'updated_at'] as const;

const liveTemplatesOf = (db: Db, agentId: string) =>
  db.selectFrom('templates').where('agent_id', '=', agentId).where('is_deleted', '=', false);

type Row = { id: string; name: string; subject: string; body: string; version: number; created_at: Date; updated_at: Date };
const toTemplate = (row: Row): Template => ({
  ...toJson(row),
  fields: [...new Set([...fieldsUsed(row.subject), ...fieldsUsed(row.body)])],
});

/** `GET /api/templates`: the agent's live templates by name. */
export async function listTemplates(db: Db, agentId: string): Promise<Template[]> {
  const rows = await liveTemplatesOf(db, agentId).select(COLUMNS).orderBy('name').orderBy('id').execute();
  return rows.map(toTemplate);
}

/** One live template with `aggregate_seq` (its ETag); another agent's, an unknown or a deleted one → null. */
export async function getTemplate(
  db: Db,
  agentId: string,
  templateId: string,
): Promise<(Template & { aggregate_seq: number | null }) | null> {
  const row = await liveTemplatesOf(db, agentId)
    .select([...COLUMNS, 'aggregate_seq'])
    .where('id', '=', templateId)
    .executeTakeFirst();
  if (!row) return null;
  const { aggregate_seq, ...rest } = row;
  return { ...toTemplate(rest), aggregate_seq: aggregate_seq === null ? null : Number(aggregate_seq) };
}

/** Of `ids`, those that are not a live template of this agent (a plan naming one is refused). */
export async function missingTemplateIds(db: Db, agentId: string, ids: readonly string[]): Promise<string[]> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return [];
  const found = await liveTemplatesOf(db, agentId).select('id').where('id', 'in', wanted).execute();
  const have = new Set(found.map((r) => r.id));
  return wanted.filter((id) => !have.has(id));
}
