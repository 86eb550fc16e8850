import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfigOrExit } from '@realtoros/config';
import { subjects } from '@realtoros/contracts';
import { createDb, migrateToLatest, sql } from '@realtoros/db';
import { connectNats, createEventStore, ensureEventStreams, onShutdown } from '@realtoros/messaging';
import { createLogger, startHealthServer, startTelemetry } from '@realtoros/observability';
import { ProjectorConfig } from './config.ts';
import { announce } from './live.ts';
import { deadLetterParked } from './parked-dead-letters.ts';
import { PROJECTED_STREAMS } from './projection.ts';
import { PROJECTIONS } from './read-models/index.ts';
import { startStreamProjector } from './stream-projector.ts';

const config = loadConfigOrExit(ProjectorConfig);
const log = createLogger('projector', config.LOG_LEVEL);
const stopTelemetry = await startTelemetry('projector');
const db = createDb(config.DATABASE_URL, { applicationName: 'projector' });
await migrateToLatest(db);
const nc = await connectNats({ url: config.NATS_URL, name: 'projector', log });
// The projector reads every stream; make sure they exist even before their owners start.
await ensureEventStreams(await jetstreamManager(nc), PROJECTED_STREAMS);
const { js } = await createEventStore(nc);

const running = await Promise.all(
  PROJECTED_STREAMS.map((stream) =>
    startStreamProjector({
      js,
      db,
      stream,
      projections: PROJECTIONS,
      log,
      batchSize: config.PROJECTOR_BATCH_SIZE,
      onBatch: ({ applied, lastSeq, events }) => {
        log.debug({ stream, applied, lastSeq }, 'batch applied');
        announce(nc, stream, events);
        // The gateway's read-your-writes waits on this rather than polling the checkpoint.
        nc.publish(subjects.projected(stream), String(lastSeq));
      },
      onParked: (parked) => deadLetterParked(js, stream, parked),
    }),
  ),
);
log.info({ streams: PROJECTED_STREAMS }, 'projector running');

const health = await startHealthServer({
  port: config.HEALTH_PORT,
  log,
  checks: { nats: () => nc.flush(), postgres: () => sql`SELECT 1`.execute(db) },
});

onShutdown(log, [
  () => health.close(),
  () => Promise.all(running.map((r) => r.stop())),
  () => nc.drain(),
  () => db.destroy(),
  stopTelemetry,
]);
