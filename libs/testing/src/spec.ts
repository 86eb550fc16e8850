import { deepStrictEqual, fail } from 'node:assert/strict';
import type { Envelope, EventType } from '@realtoros/contracts';
import { type Decider, DomainError, type EventDraft } from '@realtoros/messaging';

export type SpecOptions = { agentId?: string; aggregateId?: string; occurredAt?: string };

/** A given event: a draft (type + data; the envelope is filled in) or a whole stored envelope. */
export type GivenEvent<T extends EventType> = EventDraft<T> | Envelope<T>;

export type DeciderSpec<Command, State, T extends EventType> = {
  given(events: readonly GivenEvent<T>[]): {
    /** The state the events fold to (for a test that checks `evolve` itself). */
    state(): State;
    when(command: Command): {
      /** Asserts the decided drafts, in order (compared as JSON: an `undefined` key is no key). */
      then(expected: readonly EventDraft<T>[]): void;
      /** Asserts a DomainError with this code; returns it for further checks. */
      thenThrows(code: DomainError['code']): DomainError;
      /** The decided drafts, for assertions of your own. */
      decided(): readonly EventDraft<T>[];
    };
  };
};

const AGENT = '0190a000-0000-7000-8000-00000000a9e7';
const AGGREGATE = '0190a000-0000-7000-8000-0000000a9905';
const AT = '2026-11-21T10:00:00.000Z';

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

/**
 * Given/when/then for any decider (`{ initialState, evolve, decide }`):
 *
 *   deciderSpec(clientDecider).given([created]).when(deleteClient).then([{ type: 'ClientDeleted', data }]);
 *   deciderSpec(taskDecider).given([scheduled, completed]).when(skip).thenThrows('illegal_transition');
 *
 * Given events run through the decider's own `evolve` (drafts get a fixed agent, aggregate
 * and time, or `opts`), so a spec exercises the fold the command handler uses.
 */
export function deciderSpec<Command, State, T extends EventType>(
  decider: Decider<Command, State, T>,
  opts: SpecOptions = {},
): DeciderSpec<Command, State, T> {
  let n = 0;
  const envelope = (e: GivenEvent<T>): Envelope<T> =>
    'id' in e
      ? e
      : ({
          id: `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
          type: e.type,
          schema: 1,
          agent_id: opts.agentId ?? AGENT,
          aggregate: 'spec',
          aggregate_id: opts.aggregateId ?? AGGREGATE,
          occurred_at: opts.occurredAt ?? AT,
          correlation_id: 'spec',
          causation_id: null,
          data: e.data,
        } as unknown as Envelope<T>);

  return {
    given(events) {
      const state = () => events.map(envelope).reduce(decider.evolve, decider.initialState);
      return {
        state,
        when(command) {
          const decided = () => decider.decide(command, state());
          return {
            decided,
            // biome-ignore lint/suspicious/noThenProperty: given/when/then reads best; specs are synchronous, never awaited
            then(expected) {
              deepStrictEqual(json(decided()), json(expected));
            },
            thenThrows(code) {
              let drafts: readonly EventDraft<T>[];
              try {
                drafts = decided();
              } catch (err) {
                if (!(err instanceof DomainError)) throw err;
                deepStrictEqual(err.code, code, `expected DomainError ${code}, got ${err.code}: ${err.message}`);
                return err;
              }
              return fail(`expected DomainError ${code}, but it decided ${JSON.stringify(drafts.map((d) => d.type))}`);
            },
          };
        },
      };
    },
  };
}
