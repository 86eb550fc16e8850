import { type AgentSettings, DEFAULT_AGENT_SETTINGS, foldAgentSettings, subjects } from '@realtoros/contracts';
import type { EventStore } from '@realtoros/messaging';

export type AgentSettingsReader = {
  /** The agent's settings as the CRM's agent subject says now (the defaults before any change). */
  get(agentId: string): Promise<AgentSettings>;
};

type Cached = { seq: number; settings: AgentSettings };

/**
 * The agent's sending window, zone and daily cap, folded from `crm.<agent>.agent` with the one
 * fold the CRM and the projector use (`foldAgentSettings`, libs/contracts).
 *
 * Cached per agent and revalidated on every `get` with one direct get (`readLast`): while the
 * subject's last sequence is the one the cached fold ended on, the fold is reused; when the
 * agent changed their settings the subject is folded again. So a change is seen by the very
 * next `get`, and the common case costs one small read — concurrent `get`s for one agent (a
 * burst of timers firing) share at most two reads (the one running and one queued behind it). An agent with no events gets the defaults.
 */
export function createAgentSettingsReader(
  store: Pick<EventStore, 'readLast' | 'readSubject'>,
  opts: { maxAgents?: number } = {},
): AgentSettingsReader {
  const maxAgents = opts.maxAgents ?? 10_000;
  const cache = new Map<string, Cached>();
  // Per agent: the read running now, and the one queued behind it. A `get` arriving while a
  // read runs joins the queued one (which starts after it): that read began before this call,
  // so it may predate a change this caller already knows about.
  const slots = new Map<string, { running: Promise<AgentSettings> | null; queued: Promise<AgentSettings> | null }>();

  async function read(agentId: string): Promise<AgentSettings> {
    const subject = subjects.agent(agentId);
    const last = await store.readLast('CRM', subject);
    if (!last) return DEFAULT_AGENT_SETTINGS;
    const hit = cache.get(agentId);
    if (hit && hit.seq === last.seq) return hit.settings;
    const { events, lastSeq } = await store.readSubject('CRM', subject);
    const settings = foldAgentSettings(events.map((e) => e.event));
    if (!cache.has(agentId) && cache.size >= maxAgents) cache.delete(cache.keys().next().value as string); // oldest first
    cache.set(agentId, { seq: lastSeq, settings });
    return settings;
  }

  return {
    get(agentId) {
      let slot = slots.get(agentId);
      if (!slot) {
        slot = { running: null, queued: null };
        slots.set(agentId, slot);
      }
      const s = slot;
      const run = (): Promise<AgentSettings> => {
        const p: Promise<AgentSettings> = read(agentId).finally(() => {
          if (s.running === p) s.running = null;
          if (!s.running && !s.queued) slots.delete(agentId);
        });
        s.running = p;
        return p;
      };
      if (!s.running) return run();
      if (!s.queued) {
        const queued: Promise<AgentSettings> = s.running
          .catch(() => undefined)
          .then(() => {
            s.queued = null;
            return run();
          });
        s.queued = queued;
      }
      return s.queued;
    },
  };
}
