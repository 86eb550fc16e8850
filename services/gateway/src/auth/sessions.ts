import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsReplicas } from '@realtoros/messaging';

/**
 * Server-side sessions: the NATS KV bucket `auth_sessions`, key `<agent_id>.<session_id>`,
 * entries expiring with the bucket's TTL (SESSION_TTL_S, counted from the log-in). A log-in
 * opens one; its access tokens (15 min) name it (`sid`) and its refresh token renews them.
 * Log-out deletes it; a password change deletes all of the agent's. Every replica keeps the
 * liveness of the sessions it has seen in memory and watches the bucket, so a deletion
 * made on one replica is refused by all of them within milliseconds, without a NATS round
 * trip per request (a session not seen yet is read once).
 * The refresh token is `<agent_id>.<session_id>.<secret>`; only the secret's SHA-256 is
 * stored, so the bucket's contents cannot be replayed as tokens.
 */
export const SESSIONS_BUCKET = 'auth_sessions';
/** A cached answer is re-read after this long even without a watch event (a safety net). */
const CACHE_MAX_AGE_MS = 30_000;
const CACHE_MAX_ENTRIES = 100_000;

export type Session = {
  agent_id: string;
  created_at: string;
  expires_at: string;
  refresh_sha256: string;
  ip: string | null;
  user_agent: string | null;
};

export type SessionStore = {
  open(agentId: string, meta: { ip: string | null; userAgent: string | null }, now?: Date): Promise<{ sid: string; refreshToken: string }>;
  isLive(agentId: string, sid: string): Promise<boolean>;
  /** The session a refresh token names, when it is live and the token is its own. */
  byRefreshToken(token: string): Promise<{ agentId: string; sid: string } | null>;
  revoke(agentId: string, sid: string): Promise<void>;
  /** Ends every session of the agent but `keep` (the one changing the password). */
  revokeAll(agentId: string, keep?: string): Promise<number>;
  close(): void;
};

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const SID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function openSessionStore(nc: NatsConnection, ttlSeconds: number): Promise<SessionStore> {
  const kv: KV = await new Kvm(nc).create(SESSIONS_BUCKET, { history: 1, ttl: ttlSeconds * 1000, replicas: natsReplicas() });
  /** key → expiry (epoch ms; 0 = ended) and when it was learnt. */
  const cache = new Map<string, { expiresAt: number; seenAt: number }>();
  const remember = (key: string, expiresAt: number) => {
    if (cache.size >= CACHE_MAX_ENTRIES) cache.clear();
    cache.set(key, { expiresAt, seenAt: Date.now() });
  };
  const watcher = await kv.watch({ key: '>', include: 'updates' });
  void (async () => {
    for await (const e of watcher) {
      if (e.operation === 'PUT' && e.length > 0) remember(e.key, Date.parse(e.json<Session>().expires_at));
      else remember(e.key, 0);
    }
  })().catch(() => {});

  const read = async (key: string): Promise<Session | null> => {
    const e = await kv.get(key);
    return e && e.operation === 'PUT' && e.length > 0 ? e.json<Session>() : null;
  };

  return {
    async open(agentId, meta, now = new Date()) {
      const sid = randomUUID();
      const secret = randomBytes(32).toString('base64url');
      const session: Session = {
        agent_id: agentId,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
        refresh_sha256: sha256(secret),
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 300) ?? null,
      };
      await kv.create(`${agentId}.${sid}`, JSON.stringify(session));
      remember(`${agentId}.${sid}`, Date.parse(session.expires_at));
      return { sid, refreshToken: `${agentId}.${sid}.${secret}` };
    },

    async isLive(agentId, sid) {
      if (!SID.test(sid)) return false;
      const key = `${agentId}.${sid}`;
      const known = cache.get(key);
      if (known && Date.now() - known.seenAt < CACHE_MAX_AGE_MS) return known.expiresAt > Date.now();
      const s = await read(key);
      const expiresAt = s && s.agent_id === agentId ? Date.parse(s.expires_at) : 0;
      remember(key, expiresAt);
      return expiresAt > Date.now();
    },

    async byRefreshToken(token) {
      const [agentId, sid, secret, extra] = token.split('.');
      if (!agentId || !sid || !secret || extra !== undefined || !SID.test(sid) || !SID.test(agentId)) return null;
      const s = await read(`${agentId}.${sid}`);
      if (!s || s.agent_id !== agentId || Date.parse(s.expires_at) <= Date.now()) return null;
      const given = Buffer.from(sha256(secret), 'hex');
      const stored = Buffer.from(s.refresh_sha256, 'hex');
      return given.length === stored.length && timingSafeEqual(given, stored) ? { agentId, sid } : null;
    },

    async revoke(agentId, sid) {
      if (!SID.test(sid)) return;
      remember(`${agentId}.${sid}`, 0);
      await kv.delete(`${agentId}.${sid}`);
    },

    async revokeAll(agentId, keep) {
      const keys: string[] = [];
      for await (const k of await kv.keys(`${agentId}.*`)) keys.push(k);
      const ended = keys.filter((k) => k !== `${agentId}.${keep}`);
      for (const k of ended) remember(k, 0);
      await Promise.all(ended.map((k) => kv.delete(k)));
      return ended.length;
    },

    close() {
      watcher.stop();
    },
  };
}
