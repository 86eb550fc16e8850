import type { Envelope, EventType, StreamName } from '@realtoros/contracts';
import type { Database } from '@realtoros/db';
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
  handles: readonly EventType[];
  apply(db: ProjectionDb, event: Envelope, pos: EventPosition): Promise<void>;
};

export const PROJECTOR_NAME = 'read_models';

/** The streams whose events feed the read models. */
export const PROJECTED_STREAMS: readonly StreamName[] = ['CRM', 'SCHEDULER', 'AI', 'MAILER'];
