import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type UnsubscribeClaims, verifyUnsubscribeToken } from '@realtoros/auth';
import { getAgent } from '@realtoros/queries';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, sendProblem } from '../errors/index.ts';
import { execute } from '../plugins/commands.ts';
import { webhookRateLimit } from '../plugins/rate-limit.ts';

const Params = Type.Object({ token: Type.String({ maxLength: 200 }) });
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(reply: FastifyReply, status: number, title: string, inner: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('x-robots-tag', 'noindex')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1f2937}button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:0;background:#1f2937;color:#fff;cursor:pointer}</style>
</head><body><h1>${esc(title)}</h1>${inner}</body></html>`);
}

/**
 * `GET /unsubscribe/{token}` shows a confirmation page and changes nothing (mail scanners
 * follow links); `POST` unsubscribes: RFC 8058 one-click from the mail client, or the page's
 * button. No login or cookie: the signed token names the agent, client and email. The CRM
 * records `ClientUnsubscribed`; the scheduler stops pending follow-ups and the mailer won't
 * send to the client again.
 */
export const unsubscribeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // One-click posts `List-Unsubscribe=One-Click` as a form; the body carries nothing we need.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 4096 }, (_req, _body, done) => done(null, null));
  const claimsOf = (token: string): UnsubscribeClaims | null => verifyUnsubscribeToken(app.deps.config.JWT_SECRET, token);
  // A person following the link gets a page; a program (a mail client's one-click POST, an API
  // client) gets problem details like everywhere else in the API.
  const invalid = (req: FastifyRequest, reply: FastifyReply) =>
    /text\/html/.test(req.headers.accept ?? '')
      ? page(
          reply,
          400,
          'This link is not valid',
          '<p>The unsubscribe link is incomplete or was changed. Please use the link from the email as it is.</p>',
        )
      : sendProblem(reply, 400, 'The unsubscribe link is incomplete or was changed.', { title: 'Invalid unsubscribe link' });
  const schema = { tags: ['unsubscribe'], params: Params, produces: ['text/html'] };

  app.get('/unsubscribe/:token', { schema, config: webhookRateLimit(app) }, async (req, reply) => {
    const claims = claimsOf(req.params.token);
    if (!claims) return invalid(req, reply);
    const agent = await getAgent(app.deps.db, claims.agent_id).catch(() => undefined);
    const from = agent ? `from ${esc(agent.name)}` : 'from your agent';
    return page(
      reply,
      200,
      'Unsubscribe',
      `<p>Stop receiving follow-up emails ${from}?</p>
<form method="post" action="/unsubscribe/${esc(req.params.token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
    );
  });

  app.post('/unsubscribe/:token', { schema, config: webhookRateLimit(app) }, async (req, reply) => {
    const claims = claimsOf(req.params.token);
    if (!claims) return invalid(req, reply);
    try {
      await execute(app, req, 'crm', 'unsubscribe_client', { client_id: claims.client_id, source: 'link' }, { agentId: claims.agent_id });
    } catch (err) {
      // Already unsubscribed, or the client is gone: either way no more emails.
      if (!(err instanceof HttpProblem) || (err.status !== 404 && err.status !== 409)) throw err;
    }
    return page(reply, 200, 'You are unsubscribed', '<p>You will not receive any more follow-up emails from this sender.</p>');
  });
};
