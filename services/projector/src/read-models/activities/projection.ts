import type { Projection } from '../../projection.ts';

/** `activities`: the calls, meetings, texts and notes an agent logged on a client. */
export const activitiesProjection: Projection = {
  name: 'activities',
  tables: ['activities'],
  handles: ['ActivityLogged'],
  async apply(db, event) {
    if (event.type !== 'ActivityLogged') return;
    const d = event.data;
    await db
      .insertInto('activities')
      .values({
        id: d.activity_id,
        agent_id: event.agent_id,
        client_id: event.aggregate_id,
        kind: d.kind,
        body: d.body,
        stop_followups: d.stop_followups,
        logged_at: d.logged_at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  },
};
