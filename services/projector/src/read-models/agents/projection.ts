import type { Projection } from '../../projection.ts';

/** `agents`: who can log in (email, name, password hash) — from AgentRegistered. */
export const agentsProjection: Projection = {
  name: 'agents',
  tables: ['agents'],
  handles: ['AgentRegistered'],
  async apply(db, event) {
    if (event.type !== 'AgentRegistered') return;
    await db
      .insertInto('agents')
      .values({
        id: event.agent_id,
        email: event.data.email,
        name: event.data.name,
        password_hash: event.data.password_hash,
        created_at: event.occurred_at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  },
};
