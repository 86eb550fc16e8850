import type { Envelope } from '@realtoros/contracts';
import type { Projection, ProjectionDb } from '../../projection.ts';

/** `audit_log`: the agent's audit log (issue 13), one row per AuditRecorded, never changed. */
export const auditProjection: Projection = {
  name: 'audit',
  tables: ['audit_log'],
  handles: ['AuditRecorded'],
  apply: (db, event) => insert(db, [event]),
  // Inserts keyed by the event id, first one wins: a batch's in one statement.
  applyMany: (db, items) =>
    insert(
      db,
      items.map((i) => i.event),
    ),
};

async function insert(db: ProjectionDb, events: readonly Envelope[]): Promise<void> {
  const rows = events.flatMap((event) => {
    if (event.type !== 'AuditRecorded') return [];
    const d = event.data;
    return [
      {
        id: event.id,
        agent_id: event.agent_id,
        at: event.occurred_at,
        action: d.action,
        ip: d.ip,
        user_agent: d.user_agent,
        target_type: d.target_type ?? null,
        target_id: d.target_id ?? null,
        detail: d.detail ? JSON.stringify(d.detail) : null,
      },
    ];
  });
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insertInto('audit_log')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}
