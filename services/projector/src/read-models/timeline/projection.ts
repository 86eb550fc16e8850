import { type Envelope, EVENT_TYPES } from '@realtoros/contracts';
import type { ProjectedEvent, Projection, ProjectionDb } from '../../projection.ts';

/** The client a given event concerns, if any. */
export function clientIdOf(event: Envelope): string | null {
  if (event.aggregate === 'client') return event.aggregate_id;
  const data = event.data as { client_id?: unknown };
  return typeof data.client_id === 'string' ? data.client_id : null;
}

/**
 * `client_events`: each client's whole history across the four streams, for the client
 * page's timeline and `GET /api/clients/{id}/events`. Secrets never enter it.
 */
export const timelineProjection: Projection = {
  name: 'client_events',
  tables: ['client_events'],
  handles: EVENT_TYPES.filter((t) => t !== 'AgentRegistered'),
  apply: (db, event, pos) => insertEvents(db, [{ event, pos }]),
  // Independent inserts: a batch's rows go in a few multi-row statements.
  applyMany: insertEvents,
};

async function insertEvents(db: ProjectionDb, items: readonly ProjectedEvent[]): Promise<void> {
  const rows = items.flatMap(({ event, pos }) => {
    const clientId = clientIdOf(event);
    if (!clientId) return [];
    return [
      {
        stream: pos.stream,
        seq: pos.seq,
        agent_id: event.agent_id,
        client_id: clientId,
        type: event.type,
        aggregate: event.aggregate,
        aggregate_id: event.aggregate_id,
        occurred_at: event.occurred_at,
        data: JSON.stringify(event.data),
      },
    ];
  });
  for (let i = 0; i < rows.length; i += 1000)
    await db
      .insertInto('client_events')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) => oc.columns(['stream', 'seq']).doNothing())
      .execute();
}
