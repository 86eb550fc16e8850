import { Type, type Static } from '@sinclair/typebox';
import { Timestamp, Uuid } from './common.ts';
import type { EventData, EventType } from './registry.ts';

/** The envelope every event travels in (ARCHITECTURE.md §2); `data` is checked per type. */
export const EnvelopeSchema = Type.Object({
  id: Uuid,
  type: Type.String({ minLength: 1 }),
  schema: Type.Integer({ minimum: 1 }),
  agent_id: Uuid,
  aggregate: Type.String(),
  aggregate_id: Uuid,
  occurred_at: Timestamp,
  correlation_id: Type.String({ minLength: 1 }),
  causation_id: Type.Union([Type.String(), Type.Null()]),
  data: Type.Unknown(),
});
export type RawEnvelope = Static<typeof EnvelopeSchema>;

export type Envelope<T extends EventType = EventType> = {
  [K in T]: Omit<RawEnvelope, 'type' | 'data'> & { type: K; data: EventData<K> };
}[T];
