import type { Envelope, EventType, StreamName } from '@realtoros/contracts';
import { type Database, PROJECTOR_TABLES } from '@realtoros/db';
import type { QueryCreator } from 'kysely';

/**
 * A read-model writer: always given a query creator already scoped to the target schema
 * (`public` live, a scratch schema during `ops replay`), so projections never name a schema.
 * `apply` runs inside the batch's transaction and must be idempotent on its own too
 * (upserts keyed by ids), although the checkpoint already skips what was applied.
 */
export type ProjectionDb = QueryCreator<Database>;
export type EventPosition = { stream: StreamName; seq: number };
export type Projection = {
  name: string;
  /** The tables this projection writes: `ops replay` rebuilds and swaps exactly these (plus the projector's own). */
  tables: readonly (keyof Database)[];
  handles: readonly EventType[];
  apply(db: ProjectionDb, event: Envelope, pos: EventPosition): Promise<void>;
  /**
   * Optional: the same as `apply` on each of `items` in order, in fewer statements (the fast
   * path of a batch; the event-by-event slow path uses `apply`). Projections of one stream's
   * batch are independent of each other (none reads what another writes from that stream),
   * so each may take its share of the batch at once.
   */
  applyMany?(db: ProjectionDb, items: readonly ProjectedEvent[]): Promise<void>;
  /**
   * Optional: rebuilds this projection's tables whole from the rows the other projections
   * wrote — the same rows as applying every event to it would leave (the dashboard summary's
   * counts are a function of the rows). `ops replay` then leaves the projection out while it
   * loads the streams and calls this once, after the load and before the swap's catch-up.
   */
  rebuild?(db: ProjectionDb): Promise<void>;
};
export type ProjectedEvent = { event: Envelope; pos: EventPosition };

export const PROJECTOR_NAME = 'read_models';

/** The streams whose events feed the read models. */
export const PROJECTED_STREAMS: readonly StreamName[] = ['CRM', 'SCHEDULER', 'AI', 'MAILER'];

/**
 * Every table `ops replay` rebuilds and swaps: what the projections declare plus the
 * checkpoints and parked events, so replay and the live projector cannot disagree.
 */
export function replayedTables(projections: readonly Projection[]): (keyof Database)[] {
  return [...new Set([...projections.flatMap((p) => p.tables), ...PROJECTOR_TABLES])];
}
