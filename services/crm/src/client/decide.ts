import type { CommandPayload, EventData } from '@realtoros/contracts';
import { DomainError } from '@realtoros/messaging';
import type { ClientState } from './client.ts';

export type ClientCommand =
  | { type: 'CreateClient'; data: CommandPayload<'crm', 'create_client'> }
  | { type: 'UpdateClient'; data: CommandPayload<'crm', 'update_client'> }
  | { type: 'DeleteClient' }
  | { type: 'UnsubscribeClient'; source: 'link' | 'webhook' | 'agent'; at: string };

/** What the decider emits: event types with their data; ids and envelopes come later. */
export type ClientDecision =
  | { type: 'ClientCreated'; data: EventData<'ClientCreated'> }
  | { type: 'ClientUpdated'; data: EventData<'ClientUpdated'> }
  | { type: 'ClientStageChanged'; data: EventData<'ClientStageChanged'> }
  | { type: 'ClientDeleted'; data: EventData<'ClientDeleted'> }
  | { type: 'ClientUnsubscribed'; data: EventData<'ClientUnsubscribed'> };

const normaliseEmail = (e: string) => e.trim().toLowerCase();

/**
 * The client rules, pure: given the current state and a command, the events that follow —
 * or a DomainError. Unique email per agent is enforced by the handler (it needs I/O).
 */
export function decide(state: ClientState, command: ClientCommand): ClientDecision[] {
  switch (command.type) {
    case 'CreateClient': {
      if (state.status !== 'absent') throw new DomainError('conflict', 'client already exists');
      const d = command.data;
      return [{
        type: 'ClientCreated',
        data: {
          name: d.name.trim(),
          email: normaliseEmail(d.email),
          phone: d.phone ?? null,
          property_address: d.property_address ?? null,
          property_type: d.property_type ?? null,
          notes: d.notes ?? null,
          custom_fields: d.custom_fields ?? {},
          stage: d.stage ?? 'lead',
        },
      }];
    }
    case 'UpdateClient': {
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      const { stage, ...fields } = command.data.changes;
      const changes: Record<string, unknown> = {};
      for (const [key, raw] of Object.entries(fields)) {
        if (raw === undefined) continue;
        const value = key === 'email' ? normaliseEmail(raw as string) : key === 'name' ? (raw as string).trim() : raw;
        const current = (state.profile as Record<string, unknown>)[key];
        if (JSON.stringify(current) !== JSON.stringify(value)) changes[key] = value;
      }
      const events: ClientDecision[] = [];
      if (Object.keys(changes).length > 0) events.push({ type: 'ClientUpdated', data: { changes } });
      if (stage !== undefined && stage !== state.stage) events.push({ type: 'ClientStageChanged', data: { from: state.stage, to: stage } });
      return events;
    }
    case 'DeleteClient':
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      return [{ type: 'ClientDeleted', data: { email: state.profile.email } }];
    case 'UnsubscribeClient':
      if (state.status === 'absent') throw new DomainError('not_found', 'client not found');
      if (state.unsubscribed) return []; // already: one-click links get clicked twice
      return [{ type: 'ClientUnsubscribed', data: { source: command.source, at: command.at } }];
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}
