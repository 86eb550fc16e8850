import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { DomainError, isWrongLastSequence } from '@realtoros/messaging';

/**
 * Atomic "one owner per value" on a NATS KV bucket (e.g. one client per email per agent).
 * `kv.create` succeeds for exactly one contender, so two concurrent creates with the same
 * email can't both win. A claim is only a reservation: the owner's own events are the
 * truth, so a claim whose owner no longer holds the value (deleted, email changed, or a
 * crash between claim and append) is taken over with a compare-and-set on its revision.
 */
export type OwnerCheck = (ownerId: string) => Promise<'holds' | 'released' | 'unknown'>;

/** Claims younger than this whose owner has no events yet may still be in flight. */
const IN_FLIGHT_GRACE_MS = 30_000;

export function uniqueKey(scope: string, value: string): string {
  return `${scope}.${createHash('sha256').update(value.trim().toLowerCase()).digest('hex')}`;
}

export async function claim(
  kv: KV,
  key: string,
  ownerId: string,
  isOwner: OwnerCheck,
  conflictDetail: string,
  pointer: string,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await kv.create(key, ownerId);
      return;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err; // anything but "the key exists" is a real failure
    }
    const entry = await kv.get(key);
    if (entry?.operation !== 'PUT') continue; // deleted meanwhile: try create again
    const holder = entry.string();
    if (holder === ownerId) return; // our own earlier claim (a retried command)
    const status = await isOwner(holder);
    const stale = status === 'released' || (status === 'unknown' && Date.now() - entry.created.getTime() > IN_FLIGHT_GRACE_MS);
    if (!stale) throw new DomainError('conflict', conflictDetail, [{ pointer, detail: conflictDetail }]);
    try {
      await kv.update(key, ownerId, entry.revision);
      return;
    } catch {
      // Someone else took it over first; look again.
    }
  }
  throw new DomainError('conflict', conflictDetail, [{ pointer, detail: conflictDetail }]);
}

/** Releases a claim if (and only if) `ownerId` still holds it. */
export async function release(kv: KV, key: string, ownerId: string): Promise<void> {
  const entry = await kv.get(key);
  if (entry?.operation === 'PUT' && entry.string() === ownerId) {
    await kv.delete(key, { previousSeq: entry.revision }).catch(() => {});
  }
}
