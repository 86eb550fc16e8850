import { type CommandPayload, type EventData, tagKey } from '@realtoros/contracts';
import { type Decider, DomainError, type EventDraft } from '@realtoros/messaging';
import { type ClientEventType, type ClientState, evolve, initialClientState } from './client.ts';

export type ClientCommand =
  | { type: 'CreateClient'; data: CommandPayload<'crm', 'create_client'> }
  | { type: 'UpdateClient'; data: CommandPayload<'crm', 'update_client'> }
  | { type: 'DeleteClient' }
  | { type: 'UnsubscribeClient'; source: 'link' | 'webhook' | 'agent'; at: string }
  | { type: 'LogActivity'; data: EventData<'ActivityLogged'> };

/** What the decider emits: event types with their data; ids and envelopes come later. */
export type ClientDecision = EventDraft<ClientEventType>;

const normaliseEmail = (e: string) => e.trim().toLowerCase();

/**
 * A client's tags as stored: each trimmed (the schema has checked it is 1–40 characters with
 * a non-space one, at most 50), case kept, in the order given. Two that are the same
 * lower-cased ("VIP", "vip ") are refused, pointing at the second: which spelling to keep is
 * the agent's call, not ours.
 */
export function normaliseTags(tags: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  const errors: { pointer: string; detail: string }[] = [];
  tags.forEach((raw, i) => {
    const tag = raw.trim();
    const first = seen.get(tagKey(tag));
    if (first !== undefined)
      errors.push({ pointer: `/tags/${i}`, detail: `repeats the tag "${out[first]}" (tags compare case-insensitively)` });
    else seen.set(tagKey(tag), out.push(tag) - 1);
  });
  if (errors.length > 0) throw new DomainError('validation', 'Each tag may appear once (tags compare case-insensitively).', errors);
  return out;
}

/**
 * The client rules, pure: given a command and the current state, the event that follows —
 * or a DomainError. One command decides at most one event, so a command is appended whole
 * or not at all. Unique email per agent is enforced by the handler (it needs I/O).
 */
export function decide(command: ClientCommand, state: ClientState): ClientDecision[] {
  switch (command.type) {
    case 'CreateClient': {
      if (state.status !== 'absent') throw new DomainError('conflict', 'client already exists');
      const d = command.data;
      return [
        {
          type: 'ClientCreated',
          data: {
            name: d.name.trim(),
            email: normaliseEmail(d.email),
            phone: d.phone ?? null,
            property_address: d.property_address ?? null,
            property_type: d.property_type ?? null,
            notes: d.notes ?? null,
            custom_fields: d.custom_fields ?? {},
            time_zone: d.time_zone ?? null,
            ...(d.tags !== undefined && d.tags.length > 0 ? { tags: normaliseTags(d.tags) } : {}),
            stage: d.stage ?? 'lead',
            // The form's plan pick, as given: absent → the agent's default plan, null → none.
            ...(d.plan_id !== undefined ? { plan_id: d.plan_id } : {}),
          },
        },
      ];
    }
    case 'UpdateClient': {
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      const { stage, ...fields } = command.data.changes;
      const changes: Record<string, unknown> = {};
      for (const [key, raw] of Object.entries(fields)) {
        if (raw === undefined) continue;
        const value =
          key === 'email'
            ? normaliseEmail(raw as string)
            : key === 'name'
              ? (raw as string).trim()
              : key === 'tags'
                ? normaliseTags(raw as string[])
                : raw;
        // A field older events never set reads as its empty value (time_zone null, tags []): setting that changes nothing.
        const current = (state.profile as Record<string, unknown>)[key] ?? (key === 'tags' ? [] : null);
        if (JSON.stringify(current) !== JSON.stringify(value)) changes[key] = value;
      }
      const changed = Object.keys(changes).length > 0;
      // A stage move carries the PATCH's other changes: one event, never two that a lost
      // race could split.
      if (stage !== undefined && stage !== state.stage)
        return [{ type: 'ClientStageChanged', data: { from: state.stage, to: stage, ...(changed ? { changes } : {}) } }];
      return changed ? [{ type: 'ClientUpdated', data: { changes } }] : [];
    }
    case 'DeleteClient':
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      return [{ type: 'ClientDeleted', data: { email: state.profile.email } }];
    case 'UnsubscribeClient':
      if (state.status === 'absent') throw new DomainError('not_found', 'client not found');
      if (state.unsubscribed) return []; // already: one-click links get clicked twice
      return [{ type: 'ClientUnsubscribed', data: { source: command.source, at: command.at } }];
    case 'LogActivity':
      // The id derives from the command: a retried command logs it once.
      if (state.status !== 'active') throw new DomainError('not_found', 'client not found');
      return [{ type: 'ActivityLogged', data: command.data }];
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

/** The client aggregate as one decider: what the command handler loads, decides and folds with. */
export const clientDecider: Decider<ClientCommand, ClientState, ClientEventType> = {
  initialState: initialClientState,
  evolve,
  decide,
};
