import {
  type Envelope,
  EnvelopeSchema,
  EVENT_REGISTRY,
  EVENTS,
  type EventData,
  type EventRegistry,
  type EventType,
  isEventType,
  schemaIssues,
  subjectFor,
  upcast,
} from '@realtoros/contracts';
import { v7 as uuidv7 } from 'uuid';
import { PoisonMessageError } from './errors.ts';

export type NewEventInput<T extends EventType> = {
  agentId: string;
  aggregateId: string;
  data: EventData<T>;
  correlationId: string;
  causationId: string | null;
  /** Deterministic id for derived events (dedup), otherwise a fresh UUIDv7. */
  id?: string;
  occurredAt?: Date;
};

/**
 * Text from outside our own validation (a provider's error message, a webhook's reason, a
 * parked event's failure) made storable: lone surrogates become U+FFFD, a NUL is written out
 * as the six characters `\u0000` so a reader still sees it was there. Event data schemas
 * refuse such characters, so text a handler did not validate itself passes through this first.
 */
export const storableText = (s: string): string => s.toWellFormed().replaceAll('\u0000', '\\u0000');

/** Builds an envelope at the event's current schema version and validates its data against that schema. */
export function newEvent<T extends EventType>(type: T, input: NewEventInput<T>): Envelope<T> {
  const spec = EVENTS[type];
  const issues = schemaIssues(spec.schema, input.data);
  if (issues.length > 0) throw new PoisonMessageError(`${type} data invalid: ${issues.map((i) => `${i.pointer} ${i.detail}`).join('; ')}`);
  return {
    id: input.id ?? uuidv7(),
    type,
    schema: spec.version,
    agent_id: input.agentId,
    aggregate: spec.aggregate,
    aggregate_id: input.aggregateId,
    occurred_at: (input.occurredAt ?? new Date()).toISOString(),
    correlation_id: input.correlationId,
    causation_id: input.causationId,
    data: input.data,
  } as unknown as Envelope<T>;
}

export function subjectOf(event: Envelope): string {
  const spec = EVENTS[event.type];
  return subjectFor(spec.stream, event.agent_id, spec.aggregate, event.aggregate_id);
}

/**
 * Parses and validates a stored event; throws PoisonMessageError when it can't be trusted.
 * An event stored at an older schema version is upcast first (registry.upcasters), so every
 * reader sees the current shape, validated against the current schema; one from a newer
 * version than this code knows is refused rather than guessed at.
 */
export function decodeEvent(bytes: Uint8Array, registry: EventRegistry = EVENT_REGISTRY): Envelope {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new PoisonMessageError('not JSON');
  }
  const envIssues = schemaIssues(EnvelopeSchema, raw);
  if (envIssues.length > 0) throw new PoisonMessageError(`bad envelope: ${envIssues.map((i) => `${i.pointer} ${i.detail}`).join('; ')}`);
  const env = raw as { type: string; schema: number; data: unknown };
  if (!isEventType(env.type)) throw new PoisonMessageError(`unknown event type ${env.type}`);
  let current: { version: number; data: unknown };
  try {
    current = upcast(env.type, env.schema, env.data, registry);
  } catch (err) {
    throw new PoisonMessageError(`${env.type} schema ${env.schema} cannot be read: ${(err as Error).message}`);
  }
  const issues = schemaIssues(registry.events[env.type].schema, current.data);
  if (issues.length > 0)
    throw new PoisonMessageError(`${env.type} data invalid: ${issues.map((i) => `${i.pointer} ${i.detail}`).join('; ')}`);
  return { ...(raw as object), schema: current.version, data: current.data } as Envelope;
}
