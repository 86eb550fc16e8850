import { DEFAULT_AGENT_SETTINGS } from '@realtoros/contracts';
import { deciderSpec } from '@realtoros/testing';
import { describe, expect, it } from 'vitest';
import { agentDecider } from './agent.ts';

const spec = deciderSpec(agentDecider);
const registered = { type: 'AgentRegistered' as const, data: { email: 'a@example.com', name: 'Al' } };
const change = (changes: Record<string, unknown>) => ({ type: 'ChangeSettings' as const, data: { changes } });
const changed = (changes: Record<string, unknown>) => ({ type: 'AgentSettingsChanged' as const, data: { changes } });

describe('agent decider', () => {
  it('given nothing, when RegisterAgent, then AgentRegistered with a normalised email and trimmed name', () => {
    spec
      .given([])
      .when({ type: 'RegisterAgent', data: { email: ' A@Example.com', name: ' Al ' } })
      .then([registered]);
  });
  it('given AgentRegistered, when the same sign-up is repeated, then nothing', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterAgent', data: { email: 'a@example.com', name: 'Al' } })
      .then([]);
  });
  it('given AgentRegistered, when another email registers under the same id, then conflict', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterAgent', data: { email: 'b@example.com', name: 'B' } })
      .thenThrows('conflict');
  });
  it('given AgentRegistered after settings changed, RegisterAgent repeated still decides nothing', () => {
    spec
      .given([registered, changed({ daily_cap: 20 })])
      .when({ type: 'RegisterAgent', data: { email: 'a@example.com', name: 'Al' } })
      .then([]);
  });
});

describe('agent settings', () => {
  it('a registered agent starts with the defaults; each AgentSettingsChanged folds over them', () => {
    expect(spec.given([registered]).state()).toMatchObject({ status: 'registered', settings: DEFAULT_AGENT_SETTINGS });
    expect(
      spec.given([registered, changed({ daily_cap: 20, time_zone: 'America/Chicago' }), changed({ daily_cap: 30 })]).state(),
    ).toMatchObject({ settings: { ...DEFAULT_AGENT_SETTINGS, daily_cap: 30, time_zone: 'America/Chicago' } });
  });

  it('given AgentRegistered, when ChangeSettings, then AgentSettingsChanged with only the fields that differ', () => {
    spec
      .given([registered])
      .when(change({ daily_cap: 150, time_zone: 'America/Chicago', window_start: '09:00', signature: 'Al, Realtor' }))
      .then([changed({ time_zone: 'America/Chicago', signature: 'Al, Realtor' })]);
  });

  it('given settings already as asked, when ChangeSettings, then nothing (a retried PATCH too)', () => {
    spec
      .given([registered])
      .when(change({ daily_cap: 150, business_days: [1, 2, 3, 4, 5] }))
      .then([]);
    spec
      .given([registered, changed({ daily_cap: 20 })])
      .when(change({ daily_cap: 20 }))
      .then([]);
  });

  it('business days and holidays are sets: stored sorted, so the same days in another order change nothing', () => {
    spec
      .given([registered])
      .when(change({ business_days: [5, 4, 3, 2, 1] }))
      .then([]);
    spec
      .given([registered])
      .when(change({ business_days: [6, 1], holidays: ['2026-12-25', '2026-11-26'] }))
      .then([changed({ business_days: [1, 6], holidays: ['2026-11-26', '2026-12-25'] })]);
  });

  it('the window as it would then stand must be valid: a start past the stored end → validation with a pointer to /window_end', () => {
    const err = spec
      .given([registered, changed({ window_end: '12:00' })])
      .when(change({ window_start: '13:00' }))
      .thenThrows('validation');
    expect(err.errors).toEqual([{ pointer: '/window_end', detail: 'must be later than window_start on the same day' }]);
    // Both moved at once is fine.
    spec
      .given([registered, changed({ window_end: '12:00' })])
      .when(change({ window_start: '13:00', window_end: '18:00' }))
      .then([changed({ window_start: '13:00', window_end: '18:00' })]);
  });

  it('an unknown zone is refused with its pointer', () => {
    const err = spec
      .given([registered])
      .when(change({ time_zone: 'Mars/Olympus' }))
      .thenThrows('validation');
    expect(err.errors?.map((e) => e.pointer)).toEqual(['/time_zone']);
  });

  it('given nothing, when ChangeSettings, then not_found', () => {
    spec
      .given([])
      .when(change({ daily_cap: 10 }))
      .thenThrows('not_found');
  });
});

describe('agent name', () => {
  it('renamed: trimmed, folded into the state; the same name again decides nothing; blank or unknown agent refused', () => {
    spec
      .given([registered])
      .when({ type: 'RenameAgent', data: { name: '  Alice B. ' } })
      .then([{ type: 'AgentRenamed', data: { name: 'Alice B.' } }]);
    const renamed = { type: 'AgentRenamed' as const, data: { name: 'Alice B.' } };
    expect(spec.given([registered, renamed]).state()).toMatchObject({ status: 'registered', name: 'Alice B.', email: 'a@example.com' });
    spec
      .given([registered, renamed])
      .when({ type: 'RenameAgent', data: { name: 'Alice B.' } })
      .then([]);
    spec
      .given([registered])
      .when({ type: 'RenameAgent', data: { name: '   ' } })
      .thenThrows('validation');
    spec
      .given([])
      .when({ type: 'RenameAgent', data: { name: 'Al' } })
      .thenThrows('not_found');
  });
});
