import type { Static } from '@sinclair/typebox';
import type { Envelope } from './envelope.ts';
import type { AgentSettings as AgentSettingsSchema } from './events/crm.ts';

export type AgentSettings = Static<typeof AgentSettingsSchema>;

/**
 * An agent's settings before they change any (ARCHITECTURE.md §10 defaults): Monday to
 * Friday, 09:00–17:00 in America/New_York (until the agent sets their own zone), 150
 * automated emails a day, no review by default.
 */
export const DEFAULT_AGENT_SETTINGS: AgentSettings = {
  time_zone: 'America/New_York',
  business_days: [1, 2, 3, 4, 5],
  window_start: '09:00',
  window_end: '17:00',
  holidays: [],
  daily_cap: 150,
  review_by_default: false,
  signature: null,
  postal_address: null,
};

/**
 * Folds the agent subject (`crm.<agent>.agent`) into the settings: the defaults, then each
 * AgentSettingsChanged's changes in order. The one fold the crm, the scheduler and the
 * projector use, so they never disagree about a window or a cap.
 */
export function evolveAgentSettings(settings: AgentSettings, event: Envelope): AgentSettings {
  if (event.type !== 'AgentSettingsChanged') return settings;
  const changes = Object.fromEntries(Object.entries(event.data.changes).filter(([, v]) => v !== undefined));
  return { ...settings, ...changes };
}

export const foldAgentSettings = (events: readonly Envelope[]): AgentSettings =>
  events.reduce(evolveAgentSettings, DEFAULT_AGENT_SETTINGS);
