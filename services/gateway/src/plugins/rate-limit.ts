import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../errors/index.ts';

/**
 * Per-IP rate limits (@fastify/rate-limit), on the routes that are doors for an attacker or
 * for a flood: sign-up, log-in, token refresh and password change at RATE_LIMIT_PER_MINUTE,
 * the SendGrid webhooks and the unsubscribe links at WEBHOOK_RATE_LIMIT_PER_MINUTE. Beyond it:
 * 429 problem details with Retry-After. The client IP is the one the trusted proxies
 * (TRUST_PROXY) name. Counters are kept per gateway replica (the plugin's memory store): N
 * replicas allow N times the figure, which is fine for what this limits — the per-account
 * lock-out, which must hold across replicas and IPs, lives in NATS KV (routes/auth.ts).
 */
export async function registerRateLimits(app: FastifyInstance): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      new HttpProblem(
        429,
        'Too many requests',
        `Too many requests from your address (at most ${ctx.max} a minute here). Try again in ${ctx.after}.`,
      ),
  });
}

const perMinute = (max: number) => ({ rateLimit: { max, timeWindow: 60_000 } });
/** Route `config` for the auth doors. */
export const authRateLimit = (app: FastifyInstance) => perMinute(app.deps.config.RATE_LIMIT_PER_MINUTE);
/** Route `config` for the webhooks and unsubscribe links. */
export const webhookRateLimit = (app: FastifyInstance) => perMinute(app.deps.config.WEBHOOK_RATE_LIMIT_PER_MINUTE);
