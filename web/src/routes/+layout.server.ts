import { takeFlash, timeZoneOf } from '#lib/server/session.ts';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, cookies }) => ({
  agent: locals.agent,
  tz: timeZoneOf(cookies),
  flash: takeFlash(cookies),
});
