import { startStack, type Stack, waitFor } from '@realtoros/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './http.ts';

/** PATCH /api/auth/me: the agent's display name (AgentRenamed), on the real stack. */
describe('renaming the agent', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(['projector', 'crm', 'gateway']);
  });
  afterAll(async () => stack?.dispose());

  it('the new name is answered, read back and kept; a blank or too long one is a 400 and changes nothing; the same name again changes nothing', async () => {
    const a = await signUp(stack.api, 'Sam Agent');
    const renamed = await a.api.patch('/api/auth/me', { name: '  Samantha Agent ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: a.agent.id, name: 'Samantha Agent', email: a.email });
    expect((await a.api.get('/api/auth/me')).body.name).toBe('Samantha Agent');
    for (const name of ['   ', '', 'x'.repeat(201)]) {
      const bad = await a.api.patch('/api/auth/me', { name });
      expect(bad.status, JSON.stringify(name)).toBe(400);
      expect(bad.body.errors?.[0]?.pointer).toBe('/name');
    }
    expect((await a.api.patch('/api/auth/me', { name: 'Samantha Agent', extra: 1 })).status).toBe(400);
    expect((await a.api.get('/api/auth/me')).body.name).toBe('Samantha Agent');
    const again = await a.api.patch('/api/auth/me', { name: 'Samantha Agent' });
    expect(again.status).toBe(200);
    // Log-in still works with the same email and password.
    const login = await waitFor(
      async () => {
        const r = await fetch(`${stack.api}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: a.email, password: 'correct-horse-1' }),
        });
        return r.status === 200 && ((await r.json()) as { agent: { name: string } });
      },
      { what: 'log-in' },
    );
    expect(login.agent.name).toBe('Samantha Agent');
  });
});
