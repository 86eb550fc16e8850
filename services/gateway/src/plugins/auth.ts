import { type AccessClaims, type SigningKey, signingKeys, verifyAccessToken } from '@realtoros/auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type CredentialStore, openCredentialStore } from '../auth/credentials.ts';
import { openSessionStore, type SessionStore } from '../auth/sessions.ts';
import { HttpProblem } from '../errors/index.ts';

/** The signed-in agent of a request, and the session its token names. */
export type AuthenticatedAgent = { id: string; email: string; name: string; sid: string };

export type AuthState = { keys: SigningKey[]; credentials: CredentialStore; sessions: SessionStore };

declare module 'fastify' {
  interface FastifyRequest {
    agent: AuthenticatedAgent | null;
  }
  interface FastifyInstance {
    auth: AuthState;
  }
}

/**
 * The Bearer token. Only the header: a cookie would make every route a CSRF target, and the
 * web app (the only browser client) sends the header from its server side.
 */
function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : null;
}

/**
 * A request is an agent's when its access token verifies (a key of JWT_SECRETS by `kid`,
 * our issuer and audience, not expired) AND the session it names is live: a token of a
 * session ended by log-out or a password change is refused at once (sessions.ts).
 */
export async function registerAuth(app: FastifyInstance): Promise<void> {
  const { config, nc } = app.deps;
  const keys = signingKeys(config.JWT_SECRETS ?? config.JWT_SECRET);
  const auth: AuthState = {
    keys,
    credentials: await openCredentialStore(nc),
    sessions: await openSessionStore(nc, config.SESSION_TTL_S),
  };
  app.decorate('auth', auth);
  app.addHook('onClose', async () => auth.sessions.close());
  app.decorateRequest('agent', null);
  // A token verified once is remembered (by its exact text) until it expires: jose's WebCrypto
  // verify is async and costs ~60 µs, more than the rest of a cached read's auth. The
  // session is still checked on every request; a changed byte is another key, verified anew.
  const verified = new Map<string, AccessClaims>();
  const claimsOf = async (token: string): Promise<AccessClaims | null> => {
    const known = verified.get(token);
    if (known && known.exp * 1000 > Date.now()) return known;
    const claims = await verifyAccessToken(keys, token);
    if (claims) {
      if (verified.size >= 10_000) verified.clear();
      verified.set(token, claims);
    }
    return claims;
  };
  app.addHook('onRequest', async (req) => {
    const token = tokenOf(req);
    const claims = token ? await claimsOf(token) : null;
    req.agent =
      claims && (await auth.sessions.isLive(claims.sub, claims.sid))
        ? { id: claims.sub, email: claims.email, name: claims.name, sid: claims.sid }
        : null;
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
