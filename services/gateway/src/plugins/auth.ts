import { verifyToken } from '@realtoros/auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../errors/index.ts';

export type AuthenticatedAgent = { id: string; email: string; name: string };

declare module 'fastify' {
  interface FastifyRequest {
    agent: AuthenticatedAgent | null;
  }
}

/** Bearer token, or the web app's httpOnly `token` cookie. */
function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const cookie = req.headers.cookie?.split(/;\s*/).find((c) => c.startsWith('token='));
  return cookie ? decodeCookie(cookie.slice(6)) : null;
}

/** A cookie value as the browser set it; malformed percent-encoding (`token=%`) is simply no token. */
function decodeCookie(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('agent', null);
  app.addHook('onRequest', async (req) => {
    const claims = verifyToken(app.deps.config.JWT_SECRET, tokenOf(req));
    req.agent = claims ? { id: claims.sub, email: claims.email, name: claims.name } : null;
  });
}

/** preHandler for everything under /api except auth: 401 without a valid token. */
export async function requireAgent(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (!req.agent) throw new HttpProblem(401, 'Unauthorized', 'Log in first: send Authorization: Bearer <token>.');
}

export function agentOf(req: FastifyRequest): AuthenticatedAgent {
  if (!req.agent) throw new HttpProblem(401, 'Unauthorized', 'Log in first.');
  return req.agent;
}
