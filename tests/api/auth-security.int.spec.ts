import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { signAccessToken, signingKeys } from '@realtoros/auth';
import { createEventStore, newEvent } from '@realtoros/messaging';
import { type Stack, startStack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './http.ts';

/**
 * Issue 13, accounts that hold against attack, on the real stack: per-account lock-out with
 * back-off (across IPs), per-IP rate limits, sessions that log-out and a password change end
 * at once, jose tokens (issuer, audience, kid, rotation), old scrypt accounts rehashed to
 * argon2id, and no credential in any event stream.
 */
const NEW_KEY = 'new-signing-key-0123456789abcdef';
const OLD_KEY = 'old-signing-key-0123456789abcdef';
const RATE = 8;

describe('accounts against attack', () => {
  let stack: Stack;
  let nc: NatsConnection;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway'], {
      JWT_SECRETS: `${NEW_KEY},${OLD_KEY}`,
      RATE_LIMIT_PER_MINUTE: String(RATE),
    });
    nc = await connect({ servers: stack.nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await stack?.dispose();
  });

  /** Each test speaks from its own client IP (the gateway trusts loopback's X-Forwarded-For), so per-IP limits don't mix. */
  let ipN = 0;
  const newIp = () => `203.0.113.${++ipN}`;
  const call = (ip: string, method: string, path: string, body?: unknown, token?: string) =>
    apiClient(stack.api, token).call(method, path, body, { 'x-forwarded-for': ip });
  let n = 0;
  const signUp = async (ip: string, password = 'correct-horse-1') => {
    const email = `agent${Date.now().toString(36)}${++n}@example.com`;
    const r = await call(ip, 'POST', '/api/auth/signup', { email, password, name: 'Agent' });
    expect(r.status).toBe(201);
    return { email, password, token: r.body.token as string, refresh: r.body.refresh_token as string, id: r.body.agent.id as string };
  };

  it('5 wrong passwords lock the account: the 6th attempt is 429 with Retry-After, from any IP, until the back-off ends', async () => {
    const a = await signUp(newIp());
    const ip = newIp();
    for (let i = 1; i <= 5; i++) {
      const r = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: `wrong-${i}` });
      expect(r.status, `attempt ${i}`).toBe(401);
    }
    const sixth = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: 'wrong-6' });
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(sixth.body).toMatchObject({ status: 429, type: expect.stringContaining('too-many-requests') });
    const retryAfter = Number(sixth.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15);
    // Locked for the account, not the address: the right password from elsewhere is refused too.
    const elsewhere = await call(newIp(), 'POST', '/api/auth/login', { email: a.email, password: a.password });
    expect(elsewhere.status).toBe(429);
    expect(Number(elsewhere.headers.get('retry-after'))).toBeGreaterThan(0);
    // The session opened at sign-up is not touched by someone else's guesses.
    expect((await call(ip, 'GET', '/api/auth/me', undefined, a.token)).status).toBe(200);

    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 300));
    const back = await call(newIp(), 'POST', '/api/auth/login', { email: a.email, password: a.password });
    expect(back.status).toBe(200);
    expect(back.body.failed_attempts).toBe(5);
    const again = await call(newIp(), 'POST', '/api/auth/login', { email: a.email, password: a.password });
    expect(again.body.failed_attempts).toBe(0);
  }, 40_000);

  it(`per IP: more than RATE_LIMIT_PER_MINUTE (${RATE}) log-ins or sign-ups a minute → 429 with Retry-After; another IP is not held up`, async () => {
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < RATE + 2; i++)
      statuses.push((await call(ip, 'POST', '/api/auth/login', { email: `nobody${i}@example.com`, password: 'x' })).status);
    expect(statuses.slice(0, RATE)).toEqual(Array(RATE).fill(401));
    expect(statuses.slice(RATE)).toEqual([429, 429]);
    const limited = await call(ip, 'POST', '/api/auth/signup', {
      email: `probe${Date.now()}@example.com`,
      password: 'correct-horse-1',
      name: 'P',
    });
    // Sign-up shares nothing with log-in's counter but has its own: this IP has not signed up yet.
    expect(limited.status).toBe(201);
    const blocked = await call(ip, 'POST', '/api/auth/login', { email: 'nobody@example.com', password: 'x' });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(newIp(), 'POST', '/api/auth/login', { email: 'nobody@example.com', password: 'x' })).status).toBe(401);
  });

  it('log-out ends its session at once: its token and refresh token are refused, other sessions go on', async () => {
    const a = await signUp(newIp());
    const ip = newIp();
    const second = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: a.password });
    expect(second.status).toBe(200);
    expect((await call(ip, 'GET', '/api/clients', undefined, a.token)).status).toBe(200);
    expect((await call(ip, 'POST', '/api/auth/logout', undefined, a.token)).status).toBe(204);
    expect((await call(ip, 'GET', '/api/clients', undefined, a.token)).status).toBe(401);
    expect((await call(ip, 'GET', '/api/auth/me', undefined, a.token)).status).toBe(401);
    expect((await call(ip, 'POST', '/api/auth/refresh', { refresh_token: a.refresh })).status).toBe(401);
    // The other session still works, and renews its token.
    expect((await call(ip, 'GET', '/api/clients', undefined, second.body.token)).status).toBe(200);
    const renewed = await call(ip, 'POST', '/api/auth/refresh', { refresh_token: second.body.refresh_token });
    expect(renewed.status).toBe(200);
    expect((await call(ip, 'GET', '/api/auth/me', undefined, renewed.body.token)).body.id).toBe(a.id);
    // A client whose access token has expired ends its session with the refresh token alone.
    const third = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: a.password });
    expect((await call(ip, 'POST', '/api/auth/logout', { refresh_token: third.body.refresh_token })).status).toBe(204);
    expect((await call(ip, 'GET', '/api/auth/me', undefined, third.body.token)).status).toBe(401);
    expect((await call(ip, 'POST', '/api/auth/logout', { refresh_token: third.body.refresh_token })).status).toBe(401);
    expect((await call(ip, 'POST', '/api/auth/logout')).status).toBe(401);
    // A forged refresh token (right session, wrong secret) is refused.
    const [agent, sid] = (second.body.refresh_token as string).split('.');
    expect(
      (await call(ip, 'POST', '/api/auth/refresh', { refresh_token: `${agent}.${sid}.${randomBytes(32).toString('base64url')}` })).status,
    ).toBe(401);
  });

  it('a password change ends every other session at once; the old password stops working; a wrong current password is 403', async () => {
    const a = await signUp(newIp(), 'first-password-1');
    const ip = newIp();
    const other = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: 'first-password-1' });
    const wrong = await call(
      ip,
      'POST',
      '/api/auth/password',
      { current_password: 'not-it-at-all', new_password: 'second-password-2' },
      a.token,
    );
    expect(wrong.status).toBe(403);
    expect(wrong.body.errors).toEqual([{ pointer: '/current_password', detail: expect.any(String) }]);
    const changed = await call(
      ip,
      'POST',
      '/api/auth/password',
      { current_password: 'first-password-1', new_password: 'second-password-2' },
      a.token,
    );
    expect(changed.status).toBe(200);
    expect(changed.body.ended_sessions).toBe(1);
    expect((await call(ip, 'GET', '/api/clients', undefined, other.body.token)).status).toBe(401);
    expect((await call(ip, 'POST', '/api/auth/refresh', { refresh_token: other.body.refresh_token })).status).toBe(401);
    expect((await call(ip, 'GET', '/api/clients', undefined, a.token)).status).toBe(200);
    expect((await call(ip, 'POST', '/api/auth/login', { email: a.email, password: 'first-password-1' })).status).toBe(401);
    const login = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: 'second-password-2' });
    expect(login.status).toBe(200);
    // The change cleared the count of the wrong current password; the old password tried since counts.
    expect(login.body.failed_attempts).toBe(1);
    const shortOne = await call(
      ip,
      'POST',
      '/api/auth/password',
      { current_password: 'second-password-2', new_password: 'short' },
      a.token,
    );
    expect(shortOne.status).toBe(400);
  });

  it('tokens: a retired key still verifies; an unknown kid, another issuer or audience, an expired token never do', async () => {
    const a = await signUp(newIp());
    const ip = newIp();
    const sid = JSON.parse(Buffer.from(a.token.split('.')[1] as string, 'base64url').toString()).sid as string;
    const header = JSON.parse(Buffer.from(a.token.split('.')[0] as string, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'HS256', kid: signingKeys(NEW_KEY)[0]?.kid });
    const claims = { sub: a.id, sid, email: a.email, name: 'Agent' };
    const me = async (token: string) => (await call(ip, 'GET', '/api/auth/me', undefined, token)).status;
    expect(await me(a.token)).toBe(200);
    // Signed by the second key of JWT_SECRETS (the one being retired): still good.
    expect(await me(await signAccessToken(signingKeys(OLD_KEY), claims))).toBe(200);
    // A key the gateway does not have: its kid matches nothing.
    expect(await me(await signAccessToken(signingKeys('some-other-key-0123456789abcdef'), claims))).toBe(401);
    // The right key under another kid is not looked up either.
    const [key] = signingKeys(NEW_KEY);
    expect(await me(await signAccessToken([{ kid: 'not-our-kid', secret: key!.secret }], claims))).toBe(401);
    expect(await me(await signAccessToken(signingKeys(NEW_KEY), claims, { issuer: 'someone-else' }))).toBe(401);
    expect(await me(await signAccessToken(signingKeys(NEW_KEY), claims, { audience: 'another-api' }))).toBe(401);
    expect(await me(await signAccessToken(signingKeys(NEW_KEY), claims, { now: Date.now() - 3600_000, ttlSeconds: 60 }))).toBe(401);
    // A valid signature on a session that does not exist.
    expect(await me(await signAccessToken(signingKeys(NEW_KEY), { ...claims, sid: randomUUID() }))).toBe(401);
    // The old hand-written token format (HS256, no kid, no issuer).
    const legacy = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: a.id, exp: 9e9 })).toString('base64url')}.x`;
    expect(await me(legacy)).toBe(401);
  });

  /** The account the legacy test writes as an old crm would have: the one event allowed a hash. */
  let legacyAgent = '';
  it('an account registered before this change (scrypt hash in its event) logs in, and its stored hash becomes argon2id', async () => {
    const agentId = randomUUID();
    legacyAgent = agentId;
    const email = `legacy${Date.now()}@example.com`;
    const salt = randomBytes(16);
    const key = scryptSync('old-password-1', salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const oldHash = ['scrypt', 1 << 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    const store = await createEventStore(nc);
    await store.append(
      newEvent('AgentRegistered', {
        agentId,
        aggregateId: agentId,
        correlationId: 'legacy',
        causationId: null,
        data: { email, name: 'Old Timer', password_hash: oldHash },
      }),
    );
    await waitFor(
      async () => (await stack.database.db.selectFrom('agents').select('id').where('id', '=', agentId).executeTakeFirst()) !== undefined,
      {
        what: 'legacy agent projected',
      },
    );
    const credentials = await new Kvm(nc).open('auth_credentials');
    expect(await credentials.get(agentId)).toBeNull();
    const ip = newIp();
    expect((await call(ip, 'POST', '/api/auth/login', { email, password: 'wrong-password' })).status).toBe(401);
    const ok = await call(ip, 'POST', '/api/auth/login', { email, password: 'old-password-1' });
    expect(ok.status).toBe(200);
    expect(ok.body.failed_attempts).toBe(1);
    const stored = (await credentials.get(agentId))?.json<{ hash: string }>();
    expect(stored?.hash).toMatch(/^\$argon2id\$v=19\$m=12288,t=3,p=1\$/);
    expect((await call(ip, 'POST', '/api/auth/login', { email, password: 'old-password-1' })).status).toBe(200);
  });

  it('no password hash, password or session secret is in any event stream', async () => {
    const ip = newIp();
    const a = await signUp(ip, 'scan-password-1');
    const login = await call(ip, 'POST', '/api/auth/login', { email: a.email, password: 'scan-password-1' });
    await call(
      ip,
      'POST',
      '/api/auth/password',
      { current_password: 'scan-password-1', new_password: 'scan-password-2' },
      login.body.token,
    );
    // The sign-up's session ended with the password change; the log-in's goes on.
    expect(
      (await call(ip, 'POST', '/api/clients', { name: 'Some Client', email: `c${Date.now()}@example.com` }, login.body.token)).status,
    ).toBe(201);
    const secrets = [a.refresh.split('.')[2], login.body.refresh_token.split('.')[2]] as string[];
    const jsm = await jetstreamManager(nc);
    const types = new Set<string>();
    for await (const info of jsm.streams.list()) {
      const name = info.config.name;
      // Buckets are state, not events: the credentials bucket holds hashes by design.
      if (name.startsWith('KV_') || name.startsWith('OBJ_')) continue;
      const last = info.state.last_seq;
      for (let seq = info.state.first_seq; seq <= last && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(name, { seq }).catch(() => null);
        if (!m || (legacyAgent && m.subject.includes(legacyAgent))) continue;
        const text = new TextDecoder().decode(m.data);
        types.add(JSON.parse(text).type);
        expect(text, `${name} #${seq}`).not.toMatch(/\$argon2|scrypt\$|password_hash/);
        for (const s of ['scan-password-1', 'scan-password-2', 'correct-horse-1', 'first-password-1', 'second-password-2', ...secrets])
          expect(text.includes(s), `${name} #${seq} holds a secret`).toBe(false);
      }
    }
    expect([...types]).toEqual(expect.arrayContaining(['AgentRegistered', 'ClientCreated']));
  });

  it('hostile input on the new routes is a 4xx problem; another agent is never touched; NATS stopped is 503, never 500', async () => {
    const ip = newIp();
    const a = await signUp(ip);
    const b = await signUp(ip);
    const nul = 'a\u0000b';
    const cases: [string, () => ReturnType<typeof call>, number][] = [
      ['refresh with NUL', () => call(ip, 'POST', '/api/auth/refresh', { refresh_token: nul }), 401],
      ['refresh with 1 MB', () => call(ip, 'POST', '/api/auth/refresh', { refresh_token: 'x'.repeat(1_000_000) }), 400],
      ['refresh not a string', () => call(ip, 'POST', '/api/auth/refresh', { refresh_token: { $gt: '' } }), 400],
      [
        'refresh of B with A sid shape',
        () => call(ip, 'POST', '/api/auth/refresh', { refresh_token: `${b.id}.${a.refresh.split('.')[1]}.${a.refresh.split('.')[2]}` }),
        401,
      ],
      ['logout with junk body', () => call(ip, 'POST', '/api/auth/logout', { refresh_token: nul, extra: 1 }), 400],
      // A password is bytes to argon2id (only its hash is stored): NUL is not refused, the wrong current one is.
      [
        'password with NUL',
        () => call(ip, 'POST', '/api/auth/password', { current_password: nul, new_password: `long-enough${nul}` }, a.token),
        403,
      ],
      [
        'password huge',
        () => call(ip, 'POST', '/api/auth/password', { current_password: 'x', new_password: 'y'.repeat(10_000) }, a.token),
        400,
      ],
      ['login with NUL', () => call(ip, 'POST', '/api/auth/login', { email: a.email, password: nul }), 401],
      ['audit page 0', () => call(ip, 'GET', '/api/audit?page=0', undefined, a.token), 400],
      ['audit limit huge', () => call(ip, 'GET', `/api/audit?limit=${'9'.repeat(40)}`, undefined, a.token), 400],
    ];
    for (const [what, send, status] of cases) {
      const r = await send();
      expect(r.status, what).toBe(status);
      expect(r.headers.get('content-type'), what).toMatch(/application\/problem\+json/);
    }
    // B's session and password survived everything A's ip sent.
    expect((await call(ip, 'GET', '/api/auth/me', undefined, b.token)).body.id).toBe(b.id);
    expect((await call(newIp(), 'POST', '/api/auth/login', { email: b.email, password: b.password })).status).toBe(200);
    const audit = await call(ip, 'GET', '/api/audit?limit=100', undefined, b.token);
    expect(audit.body.items.every((e: { action: string }) => e.action !== 'auth.password_change_failed')).toBe(true);

    await stack.nats.stop();
    try {
      for (const [what, send] of [
        ['login', () => call(ip, 'POST', '/api/auth/login', { email: a.email, password: a.password })],
        [
          'signup',
          () => call(ip, 'POST', '/api/auth/signup', { email: `down${Date.now()}@example.com`, password: 'correct-horse-1', name: 'D' }),
        ],
        ['refresh', () => call(ip, 'POST', '/api/auth/refresh', { refresh_token: a.refresh })],
        [
          'password',
          () => call(ip, 'POST', '/api/auth/password', { current_password: a.password, new_password: 'another-pass-9' }, a.token),
        ],
        ['logout', () => call(ip, 'POST', '/api/auth/logout', undefined, a.token)],
      ] as const) {
        const r = await send();
        expect(r.status, what).toBeLessThan(500 + (r.status === 503 ? 4 : 0));
        if (r.status >= 500) expect(r.status, what).toBe(503);
      }
    } finally {
      await stack.nats.start();
    }
  }, 60_000);
});
