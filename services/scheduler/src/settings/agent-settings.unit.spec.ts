import { DEFAULT_AGENT_SETTINGS, type Envelope, subjects } from '@realtoros/contracts';
import { type EventStore, newEvent, type StoredEvent } from '@realtoros/messaging';
import { describe, expect, it } from 'vitest';
import { createAgentSettingsReader } from './agent-settings.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';

/** The two reads the reader uses, over an in-memory subject, counting them. */
function memoryStore() {
  const events: StoredEvent[] = [];
  const reads = { last: 0, subject: 0 };
  let gate: Promise<void> | null = null;
  const store: Pick<EventStore, 'readLast' | 'readSubject'> = {
    async readLast(_stream, subject) {
      reads.last++;
      if (gate) await gate;
      return events.filter((e) => e.subject === subject).at(-1) ?? null;
    },
    async readSubject(_stream, subject) {
      reads.subject++;
      const mine = events.filter((e) => e.subject === subject);
      return { events: mine, lastSeq: mine.at(-1)?.seq ?? 0 };
    },
  };
  const append = (e: Envelope) => events.push({ event: e, seq: events.length + 1, subject: subjects.agent(e.agent_id) });
  const hold = () => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    return () => {
      gate = null;
      open();
    };
  };
  return { store, reads, append, hold };
}
const changed = (changes: Record<string, unknown>) =>
  newEvent('AgentSettingsChanged', { agentId: AGENT, aggregateId: AGENT, correlationId: 't', causationId: null, data: { changes } });
const registered = () =>
  newEvent('AgentRegistered', {
    agentId: AGENT,
    aggregateId: AGENT,
    correlationId: 't',
    causationId: null,
    data: { email: 'jane@agency.example', name: 'Jane', password_hash: 'x' },
  });

describe('agent settings reader', () => {
  it('an agent without events gets the defaults', async () => {
    const m = memoryStore();
    expect(await createAgentSettingsReader(m.store).get(AGENT)).toEqual(DEFAULT_AGENT_SETTINGS);
  });

  it('folds the agent subject; while its last sequence is unchanged the fold is reused (one direct get per call)', async () => {
    const m = memoryStore();
    m.append(registered());
    m.append(changed({ time_zone: 'UTC', daily_cap: 3 }));
    const reader = createAgentSettingsReader(m.store);
    expect(await reader.get(AGENT)).toEqual({ ...DEFAULT_AGENT_SETTINGS, time_zone: 'UTC', daily_cap: 3 });
    expect(await reader.get(AGENT)).toMatchObject({ daily_cap: 3 });
    expect(m.reads).toEqual({ last: 2, subject: 1 });
  });

  it('a change is seen by the next call', async () => {
    const m = memoryStore();
    m.append(changed({ daily_cap: 3 }));
    const reader = createAgentSettingsReader(m.store);
    expect((await reader.get(AGENT)).daily_cap).toBe(3);
    m.append(changed({ daily_cap: 9, window_start: '08:00' }));
    expect(await reader.get(AGENT)).toMatchObject({ daily_cap: 9, window_start: '08:00', time_zone: DEFAULT_AGENT_SETTINGS.time_zone });
    expect(m.reads.subject).toBe(2);
  });

  it('a burst of concurrent calls shares the reads: the one running and one queued behind it (which sees a change made meanwhile)', async () => {
    const m = memoryStore();
    m.append(changed({ daily_cap: 3 }));
    const reader = createAgentSettingsReader(m.store);
    const open = m.hold();
    const first = reader.get(AGENT);
    m.append(changed({ daily_cap: 4 })); // appended after the first read began
    const rest = Array.from({ length: 50 }, () => reader.get(AGENT));
    open();
    await first; // (may see either value: it began before the change)
    for (const r of await Promise.all(rest)) expect(r.daily_cap).toBe(4);
    expect(m.reads.last).toBe(2);
  });
});
