import type { TrailItem } from '#lib/types.ts';
import { gateway } from './gateway.ts';

export type TrailResult = { items: TrailItem[] } | { items: null; error: string };

/**
 * A task's or an email's decision trail, in the gateway's words (GET /api/tasks/{id}/trail,
 * /api/emails/{id}/trail): the API and the pages say exactly the same sentences. A trail that
 * can't be read is a message on the page, never a failed page.
 */
export async function readTrail(kind: 'tasks' | 'emails', id: string, token: string | null): Promise<TrailResult> {
  const res = await gateway<{ items: TrailItem[] }>('GET', `/api/${kind}/${id}/trail`, { token });
  if (res.ok && Array.isArray(res.data?.items)) return { items: res.data.items };
  if (res.ok) return { items: null, error: 'The trail could not be read.' };
  return { items: null, error: res.problem.detail ?? res.problem.title };
}
