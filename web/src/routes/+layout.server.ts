import type { LayoutServerLoad } from './$types';
import { takeFlash, timeZoneOf } from '#lib/server/session.ts';

export const load: LayoutServerLoad = async ({ locals, cookies }) => ({
  agent: locals.agent,
  tz: timeZoneOf(cookies),
  flash: takeFlash(cookies),
});
