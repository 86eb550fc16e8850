import { type ObjectStore, Objm } from '@nats-io/obj';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { natsReplicas } from './streams.ts';

/** Where an import's CSV waits for its job (issue 10): one object per import, named by its id. */
export const IMPORT_FILES_BUCKET = 'crm_imports';
/**
 * A file is a whole book of personal data: it is kept only as long as its job and its report
 * need it (the rejected rows' own cells come from it), then the bucket's TTL drops it.
 */
export const IMPORT_FILE_RETENTION_MS = 14 * 24 * 3600 * 1000;

/** Opens (or creates) the import file bucket; the gateway writes it, crm's import job reads it. */
export function openImportFiles(nc: NatsConnection): Promise<ObjectStore> {
  return new Objm(nc).create(IMPORT_FILES_BUCKET, { ttl: nanos(IMPORT_FILE_RETENTION_MS), replicas: natsReplicas() });
}
