import { fail, redirect } from '@sveltejs/kit';
import { failWithProblem, textFields } from '#lib/server/forms.ts';
import { gateway } from '#lib/server/gateway.ts';
import { rememberTimeZone, safeRedirect, setSession } from '#lib/server/session.ts';
import type { Actions } from './$types';

type AuthResponse = { agent: { id: string; email: string; name: string }; token: string };

export const actions: Actions = {
  default: async ({ request, cookies, url }) => {
    const data = await request.formData();
    const { email } = textFields(data, ['email']);
    const password = String(data.get('password') ?? '');
    const values = { email };
    const errors: Record<string, string> = {};
    if (!email) errors.email = 'Enter your email address';
    if (!password) errors.password = 'Enter your password';
    if (Object.keys(errors).length) return fail(400, { message: null, errors, values });

    const res = await gateway<AuthResponse>('POST', '/api/auth/login', { body: { email, password } });
    if (!res.ok) {
      if (res.status === 401) {
        return fail(401, { message: 'That email and password don’t match an account.', errors: {}, values });
      }
      return failWithProblem(res.problem, { fields: ['email', 'password'], values });
    }
    const secure = url.protocol === 'https:';
    setSession(cookies, res.data.token, secure);
    rememberTimeZone(cookies, data.get('tz'), secure);
    redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
  },
};
