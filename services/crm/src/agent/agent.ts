import {
  type AgentSettings,
  type CommandPayload,
  DEFAULT_AGENT_SETTINGS,
  type Envelope,
  type EventData,
  evolveAgentSettings,
} from '@realtoros/contracts';
import { type Decider, DomainError, type EventDraft } from '@realtoros/messaging';
import { validateWindow } from '@realtoros/planning';

/** The events on an agent's subject (`crm.<agent>.agent`). */
export type AgentEventType = 'AgentRegistered' | 'AgentSettingsChanged' | 'AgentRenamed';

/**
 * An agent account (`crm.<agent>.agent`): registered once, by the sign-up that chose its id,
 * then its settings (sending window, daily cap, email defaults) as every AgentSettingsChanged
 * left them — folded with `evolveAgentSettings`, the one fold the scheduler and the projector
 * use too, so the CRM's answer and their window can never disagree.
 */
export type AgentState =
  | { status: 'absent' }
  | { status: 'registered'; id: string; email: string; name: string; createdAt: string; settings: AgentSettings };
export type AgentCommand =
  | { type: 'RegisterAgent'; data: { email: string; name: string } }
  | { type: 'ChangeSettings'; data: CommandPayload<'crm', 'update_settings'> }
  | { type: 'RenameAgent'; data: CommandPayload<'crm', 'rename_agent'> };

type SettingsChanges = EventData<'AgentSettingsChanged'>['changes'];

/** Sets, stored in one order: a PATCH that lists the same days differently changes nothing. */
function canonical<K extends keyof AgentSettings>(key: K, value: AgentSettings[K]): AgentSettings[K] {
  if (key === 'business_days') return [...new Set(value as number[])].sort((a, b) => a - b) as AgentSettings[K];
  if (key === 'holidays') return [...new Set(value as string[])].sort() as AgentSettings[K];
  return value;
}

/** Only the fields whose value differs from the current settings (in canonical form). */
export function settingsDiff(current: AgentSettings, changes: Partial<AgentSettings>): SettingsChanges {
  const diff: Record<string, unknown> = {};
  for (const key of Object.keys(changes) as (keyof AgentSettings)[]) {
    const raw = changes[key];
    if (raw === undefined || !Object.hasOwn(DEFAULT_AGENT_SETTINGS, key)) continue;
    const value = canonical(key, raw as never);
    if (JSON.stringify(current[key] ?? null) !== JSON.stringify(value)) diff[key] = value;
  }
  return diff as SettingsChanges;
}

export const agentDecider: Decider<AgentCommand, AgentState, AgentEventType> = {
  initialState: { status: 'absent' },
  evolve(state, event: Envelope<AgentEventType>) {
    if (event.type === 'AgentRegistered') {
      if (state.status !== 'absent') return state;
      return {
        status: 'registered',
        id: event.aggregate_id,
        email: event.data.email,
        name: event.data.name,
        createdAt: event.occurred_at,
        settings: DEFAULT_AGENT_SETTINGS,
      };
    }
    if (state.status !== 'registered') return state;
    if (event.type === 'AgentRenamed') return { ...state, name: event.data.name };
    return { ...state, settings: evolveAgentSettings(state.settings, event) };
  },
  decide(command, state): EventDraft<AgentEventType>[] {
    switch (command.type) {
      case 'RegisterAgent': {
        const email = command.data.email.trim().toLowerCase();
        // Agent ids are fresh per sign-up, so the same id with the same email is that sign-up repeated.
        if (state.status === 'registered') {
          if (state.email === email) return [];
          throw new DomainError('conflict', 'An account with this id already exists.');
        }
        return [{ type: 'AgentRegistered', data: { email, name: command.data.name.trim() } }];
      }
      case 'ChangeSettings': {
        if (state.status !== 'registered') throw new DomainError('not_found', 'agent not found');
        const changes = settingsDiff(state.settings, command.data.changes);
        // The window as it would then stand: a new start alone may pass the stored end.
        const issues = validateWindow({ ...state.settings, ...changes });
        if (issues.length > 0) throw new DomainError('validation', 'The sending window these settings leave is invalid.', issues);
        return Object.keys(changes).length > 0 ? [{ type: 'AgentSettingsChanged', data: { changes } }] : [];
      }
      case 'RenameAgent': {
        if (state.status !== 'registered') throw new DomainError('not_found', 'agent not found');
        const name = command.data.name.trim();
        if (name === '') throw new DomainError('validation', 'The name is empty.', [{ pointer: '/name', detail: 'must not be blank' }]);
        return name === state.name ? [] : [{ type: 'AgentRenamed', data: { name } }];
      }
      default: {
        const unhandled: never = command;
        throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
      }
    }
  },
};
