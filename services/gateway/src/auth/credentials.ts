import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { freshLoginRecord, type LoginRecord } from '@realtoros/auth';
import { isWrongLastSequence, natsReplicas } from '@realtoros/messaging';

/**
 * Agents' credentials, owned by the gateway's auth code and kept out of every event stream:
 * the NATS KV bucket `auth_credentials`, one key per agent id, holding the password hash and
 * the log-in record the lock-out rules read (libs/auth lockout.ts). Changed only by
 * compare-and-set on the entry's revision, so concurrent log-ins on several replicas count
 * every failure and a password change never loses to a stale rehash.
 * An agent registered before credentials lived here has no entry: its hash is still in the
 * old `AgentRegistered` event (read model `agents.password_hash`); the first log-in that
 * proves it writes the entry, with an argon2id hash (routes/auth.ts).
 */
export const CREDENTIALS_BUCKET = 'auth_credentials';

/** A compare-and-set that lost to another write (KV may wrap the JetStream error). */
export const lostRace = (err: unknown): boolean => isWrongLastSequence(err) || isWrongLastSequence((err as { cause?: unknown })?.cause);

export type Credential = LoginRecord & {
  v: 1;
  hash: string;
  changed_at: string;
  last_login_at: string | null;
};

export const newCredential = (hash: string, now: Date): Credential => ({
  v: 1,
  hash,
  changed_at: now.toISOString(),
  last_login_at: null,
  ...freshLoginRecord(),
});

export type CredentialStore = {
  get(agentId: string): Promise<{ credential: Credential; revision: number } | null>;
  /** Writes the first entry of an agent; false when one exists already. */
  create(agentId: string, credential: Credential): Promise<boolean>;
  /**
   * Applies `change` to the current entry (or to `seed` when there is none) with
   * compare-and-set, re-reading and re-applying on a concurrent write. `change` is pure.
   */
  mutate(agentId: string, seed: Credential | null, change: (c: Credential) => Credential): Promise<Credential | null>;
  remove(agentId: string): Promise<void>;
};

export async function openCredentialStore(nc: NatsConnection): Promise<CredentialStore> {
  const kv: KV = await new Kvm(nc).create(CREDENTIALS_BUCKET, { history: 1, replicas: natsReplicas() });
  const get = async (agentId: string) => {
    const e = await kv.get(agentId);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    return { credential: e.json<Credential>(), revision: e.revision };
  };
  return {
    get,
    async create(agentId, credential) {
      try {
        await kv.create(agentId, JSON.stringify(credential));
        return true;
      } catch (err) {
        if (lostRace(err)) return false;
        throw err;
      }
    },
    async mutate(agentId, seed, change) {
      for (let attempt = 0; attempt < 8; attempt++) {
        const current = await get(agentId);
        if (!current && !seed) return null;
        const next = change(current?.credential ?? (seed as Credential));
        try {
          if (current) await kv.update(agentId, JSON.stringify(next), current.revision);
          else await kv.create(agentId, JSON.stringify(next));
          return next;
        } catch (err) {
          if (!lostRace(err)) throw err;
        }
      }
      throw new Error(`credential of ${agentId}: too many concurrent writes`);
    },
    async remove(agentId) {
      await kv.purge(agentId);
    },
  };
}
