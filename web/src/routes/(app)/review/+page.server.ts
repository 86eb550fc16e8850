import { fail } from '@sveltejs/kit';
import { getDb } from '#lib/server/db.ts';
import { gateway } from '#lib/server/gateway.ts';
import { reviewQueue } from '#lib/server/queries.ts';
import { type RowResult, UUID_RE } from '#lib/server/task-actions.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => ({ queue: await reviewQueue(getDb(), locals.agent!.id) });

/** Approve (with the agent's edits) or reject one draft; the gateway's problem detail is the message on failure. */
async function decide(request: Request, token: string | null | undefined, action: 'approve' | 'reject'): Promise<RowResult | ReturnType<typeof fail>> {
  const data = await request.formData();
  const id = String(data.get('id') ?? '');
  if (!UUID_RE.test(id)) return fail(400, { ok: false, message: 'Unknown draft.', id, form: action } satisfies RowResult);
  const body =
    action === 'approve'
      ? { subject: String(data.get('subject') ?? '').trim() || undefined, body: String(data.get('body') ?? '') || undefined }
      : { reason: String(data.get('reason') ?? '').trim() || 'Rejected in review' };
  const res = await gateway('POST', `/api/emails/${id}/${action}`, { token: token ?? undefined, body });
  if (!res.ok) {
    const first = res.problem.errors?.[0]?.detail;
    return fail(res.status, { ok: false, message: first ?? res.problem.detail ?? res.problem.title, id, form: action } satisfies RowResult);
  }
  return { ok: true, message: action === 'approve' ? 'Approved: the email is on its way.' : 'Rejected: the step is skipped.', id, form: action };
}

export const actions: Actions = {
  approve: ({ request, locals }) => decide(request, locals.token, 'approve'),
  reject: ({ request, locals }) => decide(request, locals.token, 'reject'),
  /** Another version written with the agent's instructions; it keeps waiting. */
  regenerate: async ({ request, locals }) => {
    const data = await request.formData();
    const id = String(data.get('id') ?? '');
    const instructions = String(data.get('agent_instructions') ?? '').trim();
    if (!UUID_RE.test(id)) return fail(400, { ok: false, message: 'Unknown draft.', id, form: 'regenerate' } satisfies RowResult);
    if (!instructions) return fail(400, { ok: false, message: 'Say what to change, e.g. “shorter, mention Sunday’s open house”.', id, form: 'regenerate' } satisfies RowResult);
    const res = await gateway('POST', `/api/emails/${id}/regenerate`, { token: locals.token ?? undefined, body: { agent_instructions: instructions }, timeoutMs: 65_000 });
    if (!res.ok) return fail(res.status, { ok: false, message: res.problem.errors?.[0]?.detail ?? res.problem.detail ?? res.problem.title, id, form: 'regenerate' } satisfies RowResult);
    return { ok: true, message: 'A new version is ready for your review.', id, form: 'regenerate' } satisfies RowResult;
  },
};
