import { DiscardPolicy, type JetStreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { STREAM_SUBJECTS, type StreamName } from '@realtoros/contracts';
import { isAlreadyExists, isStreamNotFound } from './nats-errors.ts';

const DAY_NS = 24 * 60 * 60 * 1_000_000_000;

/** Replicas for streams and KV buckets: 1 on a laptop, 3 on the production cluster. */
export const natsReplicas = (): number => Number(process.env.NATS_STREAM_REPLICAS ?? 1);

/** Event streams keep everything forever; file storage; direct get for aggregate reads. */
export function eventStreamConfig(name: StreamName): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: STREAM_SUBJECTS[name],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: 0,
    allow_direct: true,
    duplicate_window: 2 * 60 * 1_000_000_000,
    num_replicas: natsReplicas(),
  };
}

export const DEAD_LETTER_STREAM = 'DEADLETTERS';
export function deadLetterStreamConfig(): Partial<StreamConfig> & { name: string } {
  return {
    name: DEAD_LETTER_STREAM,
    subjects: ['dlq.>'],
    storage: StorageType.File,
    max_age: 30 * DAY_NS,
    num_replicas: natsReplicas(),
  };
}

/**
 * Creates a stream or brings its configuration up to date; safe to call from every replica
 * at every start.
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const info = await jsm.streams.info(config.name);
    const current = info.config as unknown as Record<string, unknown>;
    const differs = Object.entries(config).some(([k, v]) => JSON.stringify(current[k]) !== JSON.stringify(v));
    if (differs) await jsm.streams.update(config.name, { ...info.config, ...config } as StreamConfig);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another replica created it between our info and add: fine.
      if (!isAlreadyExists(addErr)) throw addErr;
    }
  }
}

export async function ensureEventStreams(jsm: JetStreamManager, names: readonly StreamName[]): Promise<void> {
  for (const name of names) await ensureStream(jsm, eventStreamConfig(name));
  await ensureStream(jsm, deadLetterStreamConfig());
}
