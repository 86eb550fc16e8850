import type { Envelope } from '@realtoros/contracts';
import type { Projection, ProjectionDb } from '../../projection.ts';

/** `activities`: the calls, meetings, texts and notes an agent logged on a client. */
export const activitiesProjection: Projection = {
  name: 'activities',
  tables: ['activities'],
  handles: ['ActivityLogged'],
  apply: (db, event) => insert(db, [event]),
  // Inserts keyed by id, first one wins: a batch's in one statement (DO NOTHING takes duplicates in one statement too).
  applyMany: (db, items) =>
    insert(
      db,
      items.map((i) => i.event),
    ),
};

async function insert(db: ProjectionDb, events: readonly Envelope[]): Promise<void> {
  const rows = events.flatMap((event) => {
    if (event.type !== 'ActivityLogged') return [];
    const d = event.data;
    return [
      {
        id: d.activity_id,
        agent_id: event.agent_id,
        client_id: event.aggregate_id,
        kind: d.kind,
        body: d.body,
        stop_followups: d.stop_followups,
        logged_at: d.logged_at,
      },
    ];
  });
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insertInto('activities')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}
