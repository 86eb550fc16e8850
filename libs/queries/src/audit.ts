import type { AuditEntry, AuditListQuery, PageOf } from '@realtoros/contracts';
import type { Db } from '@realtoros/db';
import { offsetOf, pageTotal, toJson, totalCount } from './rows.ts';

/** The agent's audit log (issue 13), newest first; only this agent's entries. */
export async function listAudit(db: Db, agentId: string, q: AuditListQuery): Promise<PageOf<AuditEntry>> {
  const base = db.selectFrom('audit_log').where('agent_id', '=', agentId);
  const rows = await base
    .select(['id', 'at', 'action', 'ip', 'user_agent', 'target_type', 'target_id', 'detail', totalCount])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit)
    .offset(offsetOf(q))
    .execute();
  const { rows: page, total } = await pageTotal(rows, base, offsetOf(q));
  return { items: page.map((r) => toJson(r) as AuditEntry), total, page: q.page, limit: q.limit };
}
