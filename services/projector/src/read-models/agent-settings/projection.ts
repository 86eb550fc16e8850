import { DEFAULT_AGENT_SETTINGS } from '@realtoros/contracts';
import { sql } from 'kysely';
import type { Projection } from '../../projection.ts';

/**
 * `agent_settings`: the agent's settings whole — DEFAULT_AGENT_SETTINGS with every
 * AgentSettingsChanged's changes merged over them, in order (the agent's subject is one
 * subject of one stream). Each change applies once: only over a row older than it
 * (`aggregate_seq`), so a lost checkpoint's replay never reverts a later change. An agent
 * who never changed anything has no row; the query answers the defaults.
 */
export const agentSettingsProjection: Projection = {
  name: 'agent_settings',
  tables: ['agent_settings'],
  handles: ['AgentSettingsChanged'],
  async apply(db, event, pos) {
    if (event.type !== 'AgentSettingsChanged') return;
    // JSON drops undefined: a change names only what it set.
    const changes = JSON.stringify(event.data.changes);
    await db
      .insertInto('agent_settings')
      .values({
        agent_id: event.agent_id,
        settings: JSON.stringify({ ...DEFAULT_AGENT_SETTINGS, ...JSON.parse(changes) }),
        updated_at: event.occurred_at,
        aggregate_seq: pos.seq,
      })
      .onConflict((oc) =>
        oc
          .column('agent_id')
          .doUpdateSet({
            settings: sql`agent_settings.settings || ${changes}::jsonb`,
            updated_at: event.occurred_at,
            aggregate_seq: pos.seq,
          })
          .where(sql<boolean>`coalesce(agent_settings.aggregate_seq, 0) < ${pos.seq}::bigint`),
      )
      .execute();
  },
};
