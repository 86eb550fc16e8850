import { fail, type RequestEvent } from '@sveltejs/kit';
import { gateway } from './gateway.ts';
import type { RowResult } from './task-actions.ts';
import { UUID_RE } from './task-actions.ts';

type Resolution = 'resend' | 'mark_sent';

async function resolveEmail(event: RequestEvent, action: Resolution, done: string) {
  const form = 'resolve-email';
  const id = String((await event.request.formData()).get('id') ?? '');
  if (!UUID_RE.test(id)) return fail(400, { ok: false, message: 'Unknown email.', id, form } satisfies RowResult);
  const res = await gateway('POST', `/api/emails/${id}/resolve`, { token: event.locals.token, body: { action } });
  if (!res.ok) return fail(res.status, { ok: false, message: res.problem.detail ?? res.problem.title, id, form } satisfies RowResult);
  return { ok: true, message: done, id, form } satisfies RowResult;
}

/**
 * What the agent decides about an email whose send outcome is unknown (the mailer stopped
 * while SendGrid was answering), offered wherever emails are listed: send it again, or mark
 * it as sent after seeing it arrive (e.g. in SendGrid's activity feed).
 */
export const emailActions = {
  resendEmail: (event: RequestEvent) => resolveEmail(event, 'resend', 'Sending the email again.'),
  markEmailSent: (event: RequestEvent) => resolveEmail(event, 'mark_sent', 'Email marked as sent.'),
};
