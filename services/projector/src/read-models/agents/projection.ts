import type { Envelope } from '@realtoros/contracts';
import type { Projection, ProjectionDb } from '../../projection.ts';

/** `agents`: who can log in (email, name, password hash) — from AgentRegistered; the name as AgentRenamed leaves it. */
export const agentsProjection: Projection = {
  name: 'agents',
  tables: ['agents'],
  handles: ['AgentRegistered', 'AgentRenamed'],
  apply: (db, event) => (event.type === 'AgentRenamed' ? rename(db, event) : insert(db, [event])),
  // Inserts keyed by id, first one wins: a batch's in one statement (DO NOTHING takes duplicates in one statement too);
  // renames (rare) one by one, after the inserts and in order.
  applyMany: async (db, items) => {
    await insert(
      db,
      items.map((i) => i.event),
    );
    for (const { event } of items) if (event.type === 'AgentRenamed') await rename(db, event);
  },
};

async function rename(db: ProjectionDb, event: Envelope): Promise<void> {
  if (event.type !== 'AgentRenamed') return;
  await db.updateTable('agents').set({ name: event.data.name }).where('id', '=', event.agent_id).execute();
}

async function insert(db: ProjectionDb, events: readonly Envelope[]): Promise<void> {
  const rows = events.flatMap((event) =>
    event.type === 'AgentRegistered'
      ? [
          {
            id: event.agent_id,
            email: event.data.email,
            name: event.data.name,
            // Old events only (issue 13): the hash such an agent logs in with until it moves to auth_credentials.
            password_hash: event.data.password_hash ?? null,
            created_at: event.occurred_at,
          },
        ]
      : [],
  );
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insertInto('agents')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
}
