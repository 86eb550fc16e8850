import { fail, redirect } from '@sveltejs/kit';
import { type AuthAnswer, tooManyAttempts } from '#lib/server/auth.ts';
import { failWithProblem, textFields } from '#lib/server/forms.ts';
import { clientAddress, gateway } from '#lib/server/gateway.ts';
import { isSecure, rememberTimeZone, safeRedirect, setFlash, setSession } from '#lib/server/session.ts';
import type { Actions } from './$types';

export const actions: Actions = {
  default: async (event) => {
    const { request, cookies, url } = event;
    const data = await request.formData();
    const { name, email } = textFields(data, ['name', 'email']);
    const password = String(data.get('password') ?? '');
    const values = { name, email };
    const errors: Record<string, string> = {};
    if (!name) errors.name = 'Enter your name';
    if (!email) errors.email = 'Enter your email address';
    if (password.length < 8) errors.password = 'Use at least 8 characters';
    if (Object.keys(errors).length) return fail(400, { message: null, errors, values });

    const res = await gateway<AuthAnswer>('POST', '/api/auth/signup', { body: { name, email, password }, clientIp: clientAddress(event) });
    if (!res.ok) {
      if (res.status === 409 && !res.problem.errors?.length) {
        return fail(409, { message: null, errors: { email: res.problem.detail ?? 'An account with this email already exists' }, values });
      }
      if (res.status === 429) return fail(429, { message: tooManyAttempts(res), errors: {}, values });
      return failWithProblem(res.problem, { fields: ['name', 'email', 'password'], values });
    }
    const secure = isSecure(url);
    setSession(cookies, res.data, secure);
    rememberTimeZone(cookies, data.get('tz'), secure);
    setFlash(cookies, `Welcome to RealtorOS, ${res.data.agent.name.split(' ')[0]}! Add your first client to get started.`);
    redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
  },
};
