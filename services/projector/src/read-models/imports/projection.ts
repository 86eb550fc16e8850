import type { Envelope } from '@realtoros/contracts';
import { sql } from 'kysely';
import type { Projection, ProjectionDb } from '../../projection.ts';

/**
 * `imports`: one row per CSV import job (issue 10). Started → queued; the first progress →
 * running; finished → done or failed. Progress carries totals, so a row is set, not added
 * to — except `errors`, which appends each checkpoint's rejected rows. Each event is applied
 * once (the checkpoint commits with it), and a checkpoint never goes back (`done` only grows),
 * so the live row and a replay's are the same.
 */
export const importsProjection: Projection = {
  name: 'imports',
  tables: ['imports'],
  handles: ['ImportStarted', 'ImportProgressed', 'ImportFinished'],
  apply: (db, event) => applyOne(db, event),
};

async function applyOne(db: ProjectionDb, event: Envelope): Promise<void> {
  const at = event.occurred_at;
  switch (event.type) {
    case 'ImportStarted': {
      const d = event.data;
      await db
        .insertInto('imports')
        .values({
          id: event.aggregate_id,
          agent_id: event.agent_id,
          status: 'queued',
          file_name: d.file_name,
          on_duplicate: d.on_duplicate,
          plan_id: d.plan_id,
          total: d.total,
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return;
    }
    case 'ImportProgressed': {
      const d = event.data;
      await db
        .updateTable('imports')
        .set({
          status: sql`CASE WHEN status = 'queued' THEN 'running' ELSE status END`,
          done: d.done,
          created: d.created,
          updated: d.updated,
          skipped: d.skipped,
          failed: d.failed,
          errors: sql`errors || ${JSON.stringify(d.errors)}::jsonb`,
          updated_at: at,
        })
        .where('id', '=', event.aggregate_id)
        .where('agent_id', '=', event.agent_id)
        .where('done', '<', d.done)
        .execute();
      return;
    }
    case 'ImportFinished': {
      const d = event.data;
      await db
        .updateTable('imports')
        .set({ status: d.outcome, failure_reason: d.reason, finished_at: at, updated_at: at })
        .where('id', '=', event.aggregate_id)
        .where('agent_id', '=', event.agent_id)
        .where('finished_at', 'is', null)
        .execute();
      return;
    }
    default:
      return;
  }
}
