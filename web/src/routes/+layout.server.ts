import { getDb } from '#lib/server/db.ts';
import { getAgent, reviewCount } from '#lib/server/queries.ts';
import { takeFlash, timeZoneOf } from '#lib/server/session.ts';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, cookies }) => ({
  // The name as it stands now (the settings page renames), not as the session token recorded it.
  agent: locals.agent
    ? { ...locals.agent, name: (await getAgent(getDb(), locals.agent.id).catch(() => null))?.name ?? locals.agent.name }
    : null,
  tz: timeZoneOf(cookies),
  flash: takeFlash(cookies),
  // The navigation's badge: drafts waiting for the agent (0 when the read models can't say).
  reviewCount: locals.agent ? await reviewCount(getDb(), locals.agent.id).catch(() => 0) : 0,
});
