import type { AggregateName, Envelope, EventData, EventType, StreamName } from '@realtoros/contracts';
import { subjectFor } from '@realtoros/contracts';
import { ConcurrencyError, DomainError } from './errors.ts';
import type { EventStore } from './event-store.ts';
import { newEvent } from './events.ts';
import { deterministicId } from '@realtoros/contracts';

/** What a decider emits: an event's type and data; the handler adds id and envelope. */
export type EventDraft<T extends EventType = EventType> = { [K in T]: { type: K; data: EventData<K> } }[T];

/**
 * One aggregate's rules, pure (emmett's shape): `decide` turns a command and the current
 * state into the events that follow (or throws a DomainError), `evolve` folds a stored
 * event into the state, `initialState` is the state before the first event. Time and ids
 * arrive in the command, never from the clock.
 */
export type Decider<Command, State, T extends EventType = EventType> = {
  initialState: State;
  evolve: (state: State, event: Envelope<T>) => State;
  decide: (command: Command, state: State) => readonly EventDraft<T>[];
};

/** Where an aggregate lives: `subjectFor(stream, agentId, aggregate, aggregateId)`. */
export type AggregateRef = { agentId: string; aggregateId: string };

export type HandleOptions<T extends EventType> = {
  correlationId: string;
  /** The command or event that caused this decision; it keys the events' ids. */
  causationId: string;
  traceparent?: string | null;
  /** `occurred_at` of the appended events (default: now). */
  occurredAt?: Date;
  /**
   * `If-Match`: the aggregate must still be at exactly this stream sequence, else
   * DomainError('precondition_failed'). Checked on every attempt, so a concurrent writer
   * that moved the aggregate also fails the precondition instead of being decided over.
   */
  expectedSeq?: number | undefined;
  /**
   * Overrides an event's id where the cause is not the right key (the scheduler's TaskDue is
   * keyed on the schedule version, so two timers for one version append one TaskDue).
   * Return undefined for the default.
   */
  eventId?: (draft: EventDraft<T>) => string | undefined;
  /**
   * The caller expects the aggregate to have no event yet (a client it just made up an id
   * for, a plan's task keyed on its enrolment and step): the first attempt decides on the
   * initial state and appends expecting an empty subject, without reading it — one round
   * trip instead of two. Anything on the subject makes JetStream refuse the append (wrong
   * last sequence) or answer "duplicate" (a redelivered cause); either way nothing was
   * written, and the ordinary load → decide attempt follows. The expectation can only cost a
   * read, never change a decision.
   */
  expectNew?: boolean;
};

export type HandleResult<State> = {
  /** The state the (last) decision was made on. */
  before: State;
  /** The state after this call's events (and any identical twins already stored). */
  state: State;
  /** The events this call appended (an acknowledged duplicate of the same event is not one). */
  events: Envelope[];
  /** The aggregate's last stream sequence after the call (0 = no event yet). */
  seq: number;
  /** Stream position of this call's write, for read-your-writes; null when nothing was decided. */
  position: { stream: StreamName; seq: number } | null;
};

export type CommandHandler<Command, State, T extends EventType = EventType> = {
  /** Reads the aggregate's subject and folds it. */
  load(ref: AggregateRef): Promise<{ state: State; seq: number }>;
  /**
   * load → decide → append, each event expecting the previous one's sequence. A lost race
   * (someone appended first) loads again and decides again, up to `maxAttempts`, then
   * throws ConcurrencyError. `command` may be built from the loaded state.
   */
  handle(ref: AggregateRef, command: Command | ((state: State) => Command), opts: HandleOptions<T>): Promise<HandleResult<State>>;
};

export type CommandHandlerOptions = {
  stream: StreamName;
  aggregate: AggregateName;
  /** Attempts on optimistic-concurrency losses before giving up (default 8). */
  maxAttempts?: number;
  /**
   * Event types that only ever open a subject (TaskScheduled, ClientCreated). Given, `load`
   * first reads the subject's last message: when it is one of these it is the only one, so
   * a young aggregate costs one read instead of a walk (the scheduler's timers fire on such
   * tasks by the thousand). Older aggregates cost one read more.
   */
  firstEventTypes?: readonly EventType[];
  /**
   * How many aggregates' folded states to keep in memory (default 5,000; 0: none). A load
   * then asks only for the subject's last sequence: the same as the kept one → the kept
   * state; higher → only the newer events are read and folded onto it. Sequences on a
   * subject only grow, so an equal sequence is the same history, whichever process wrote it.
   */
  cacheSize?: number;
};

/** The default event id: (event type, aggregate, cause) — never a position in a list. */
export const eventIdFor = (type: EventType, aggregateId: string, causationId: string): string =>
  deterministicId(type, aggregateId, causationId);

/**
 * The one command path: every service's writes go through a handler made here, so
 * optimistic concurrency, duplicate checks and retries live in one place.
 *
 * Why the duplicate check: event ids are the JetStream `Nats-Msg-Id`, so a retried command
 * appends nothing twice. But JetStream answers "duplicate" for ANY message with that id in
 * its window — and checks it before the expected sequence. An acknowledged duplicate is
 * only our event if the stored message at that sequence is the same event (id, type,
 * aggregate); anything else means our decision is stale, so we load and decide again
 * instead of reporting a write that never happened.
 */
export function createCommandHandler<Command, State, T extends EventType>(
  store: EventStore,
  decider: Decider<Command, State, T>,
  options: CommandHandlerOptions,
): CommandHandler<Command, State, T> {
  const { stream, aggregate } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const subjectOf = (ref: AggregateRef) => subjectFor(stream, ref.agentId, aggregate, ref.aggregateId);

  const cache = new StateCache<State>(options.cacheSize ?? 5000);

  async function load(ref: AggregateRef): Promise<{ state: State; seq: number }> {
    const subject = subjectOf(ref);
    const last = await store.readLast(stream, subject);
    if (!last) {
      cache.delete(subject);
      return { state: decider.initialState, seq: 0 };
    }
    const kept = cache.get(subject);
    if (kept && kept.seq === last.seq) return kept;
    let loaded: { state: State; seq: number };
    if (kept && kept.seq < last.seq) {
      // Only what was appended since (by us elsewhere, another replica, another service).
      const { events, lastSeq } = await store.readSubject(stream, subject, { after: kept.seq, until: last.seq });
      let state = kept.state;
      for (const e of events) state = decider.evolve(state, e.event as Envelope<T>);
      loaded = { state, seq: lastSeq };
    } else if (options.firstEventTypes?.includes(last.event.type)) {
      loaded = { state: decider.evolve(decider.initialState, last.event as Envelope<T>), seq: last.seq };
    } else {
      const { events, lastSeq } = await store.readSubject(stream, subject, { until: last.seq });
      let state = decider.initialState;
      for (const e of events) state = decider.evolve(state, e.event as Envelope<T>);
      loaded = { state, seq: lastSeq };
    }
    cache.set(subject, loaded);
    return loaded;
  }

  /** True when the stored message at `seq` is this very event (a twin or an earlier try appended it). */
  async function isSameEvent(seq: number, event: Envelope): Promise<boolean> {
    const stored = await store.readAt(stream, seq);
    return (
      stored !== null &&
      stored.event.id === event.id &&
      stored.event.type === event.type &&
      stored.event.agent_id === event.agent_id &&
      stored.event.aggregate_id === event.aggregate_id
    );
  }

  async function handle(
    ref: AggregateRef,
    command: Command | ((state: State) => Command),
    opts: HandleOptions<T>,
  ): Promise<HandleResult<State>> {
    for (let attempt = 1; ; attempt++) {
      const assumed = attempt === 1 && opts.expectNew === true && opts.expectedSeq === undefined;
      const { state: before, seq: loadedSeq } = assumed ? { state: decider.initialState, seq: 0 } : await load(ref);
      if (opts.expectedSeq !== undefined && opts.expectedSeq !== loadedSeq)
        throw new DomainError('precondition_failed', `the record is at version ${loadedSeq}, not ${opts.expectedSeq}`);
      const cmd = typeof command === 'function' ? (command as (s: State) => Command)(before) : command;
      let drafts: readonly EventDraft<T>[];
      try {
        drafts = decider.decide(cmd, before);
      } catch (err) {
        if (assumed) continue; // refused on the assumed state: decide again on the real one
        throw err;
      }
      // Nothing to do on the assumed state is no answer about the real one: read it.
      if (assumed && drafts.length === 0) continue;
      if (drafts.length === 0) return { before, state: before, events: [], seq: loadedSeq, position: null };

      const occurredAt = opts.occurredAt ?? new Date();
      const envelopes = drafts.map(
        (d): Envelope =>
          newEvent(d.type as EventType, {
            id: opts.eventId?.(d) ?? eventIdFor(d.type, ref.aggregateId, opts.causationId),
            agentId: ref.agentId,
            aggregateId: ref.aggregateId,
            data: d.data as never,
            correlationId: opts.correlationId,
            causationId: opts.causationId,
            occurredAt,
          }) as Envelope,
      );
      const ids = new Set(envelopes.map((e) => e.id));
      if (ids.size !== envelopes.length)
        throw new Error(
          `one decision holds two events with the same id (${drafts.map((d) => d.type).join(', ')}): give them distinct types or an eventId`,
        );

      try {
        let seq = loadedSeq;
        let state = before;
        const appended: Envelope[] = [];
        for (const event of envelopes) {
          const ack = await store.append(event, { expectedLastSubjectSeq: seq, traceparent: opts.traceparent ?? null });
          if (ack.duplicate && assumed && appended.length === 0) throw new ConcurrencyError(subjectOf(ref)); // not new after all: load and decide
          if (ack.duplicate) {
            if (!(await isSameEvent(ack.seq, event))) throw new ConcurrencyError(subjectOf(ref));
            seq = Math.max(seq, ack.seq);
          } else {
            seq = ack.seq;
            appended.push(event);
          }
          state = decider.evolve(state, event as Envelope<T>);
        }
        cache.set(subjectOf(ref), { state, seq });
        return { before, state, events: appended, seq, position: { stream, seq } };
      } catch (err) {
        // The state moved under us (or was not the empty one assumed): decide again.
        if (err instanceof ConcurrencyError && (attempt < maxAttempts || assumed)) continue;
        throw err;
      }
    }
  }

  return { load, handle };
}

/**
 * Folded aggregate states by subject, least recently used dropped first. States are never
 * mutated (deciders return new ones), so one can be handed to several callers.
 */
class StateCache<State> {
  private readonly entries = new Map<string, { state: State; seq: number }>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(subject: string): { state: State; seq: number } | undefined {
    const e = this.entries.get(subject);
    if (e) {
      this.entries.delete(subject);
      this.entries.set(subject, e);
    }
    return e;
  }
  set(subject: string, entry: { state: State; seq: number }): void {
    if (this.max <= 0) return;
    const kept = this.entries.get(subject);
    if (kept && kept.seq > entry.seq) return; // a slower caller's older view
    this.entries.delete(subject);
    this.entries.set(subject, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }
  delete(subject: string): void {
    this.entries.delete(subject);
  }
}
