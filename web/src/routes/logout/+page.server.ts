import { redirect } from '@sveltejs/kit';
import { gateway } from '#lib/server/gateway.ts';
import { clearSession, isSecure } from '#lib/server/session.ts';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
  default: async ({ cookies, locals, url }) => {
    // End the session at the gateway, so the token and refresh token stop working everywhere
    // (a copied cookie too). If that fails the cookies still go: the agent asked to leave.
    if (locals.token) await gateway('POST', '/api/auth/logout', { token: locals.token, timeoutMs: 5000 });
    clearSession(cookies, isSecure(url));
    locals.agent = null;
    locals.token = null;
    redirect(303, '/login');
  },
};
