import type { Envelope } from '@realtoros/contracts';
import { insertRows } from '../../many.ts';
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

/** One row per entry, keyed by the event id: a redelivered or replayed entry is skipped (insertRows, DO NOTHING). */
async function insert(db: ProjectionDb, events: readonly Envelope[]): Promise<void> {
  const rows = events.flatMap((event) =>
    event.type === 'AuditRecorded'
      ? [
          {
            id: event.id,
            agent_id: event.agent_id,
            at: event.occurred_at,
            action: event.data.action,
            ip: event.data.ip,
            user_agent: event.data.user_agent,
            target_type: event.data.target_type ?? null,
            target_id: event.data.target_id ?? null,
            detail: event.data.detail ?? null,
          },
        ]
      : [],
  );
  await insertRows(db, 'audit_log', rows, { conflict: ['id'] });
}
