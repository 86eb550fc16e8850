import { fail, redirect } from '@sveltejs/kit';
import { type AuthAnswer, failedAttemptsNotice, tooManyAttempts } from '#lib/server/auth.ts';
import { failWithProblem, textFields } from '#lib/server/forms.ts';
import { clientAddress, gateway } from '#lib/server/gateway.ts';
import { isSecure, rememberTimeZone, safeRedirect, setFlash, setSession } from '#lib/server/session.ts';
import type { Actions } from './$types';

export const actions: Actions = {
  default: async (event) => {
    const { request, cookies, url } = event;
    const data = await request.formData();
    const { email } = textFields(data, ['email']);
    const password = String(data.get('password') ?? '');
    const values = { email };
    const errors: Record<string, string> = {};
    if (!email) errors.email = 'Enter your email address';
    if (!password) errors.password = 'Enter your password';
    if (Object.keys(errors).length) return fail(400, { message: null, errors, values });

    const res = await gateway<AuthAnswer>('POST', '/api/auth/login', { body: { email, password }, clientIp: clientAddress(event) });
    if (!res.ok) {
      if (res.status === 401) {
        return fail(401, { message: 'That email and password don’t match an account.', errors: {}, values });
      }
      // Locked out (wrong passwords) or this address is over the limit: say how long to wait.
      if (res.status === 429) return fail(429, { message: tooManyAttempts(res), errors: {}, values });
      return failWithProblem(res.problem, { fields: ['email', 'password'], values });
    }
    const secure = isSecure(url);
    setSession(cookies, res.data, secure);
    rememberTimeZone(cookies, data.get('tz'), secure);
    const notice = failedAttemptsNotice(res.data.failed_attempts);
    if (notice) setFlash(cookies, notice);
    redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
  },
};
