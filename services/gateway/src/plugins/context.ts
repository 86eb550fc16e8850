import type { NatsConnection } from '@nats-io/transport-node';
import type { Db } from '@realtoros/db';
import type { GatewayConfig } from '../config.ts';
import type { ProjectionWatch } from '../projection-watch.ts';

/** What every route can use; passed in so tests can build the app against their own NATS/DB. */
export type GatewayDeps = { config: GatewayConfig; nc: NatsConnection; db: Db };

declare module 'fastify' {
  interface FastifyInstance {
    deps: GatewayDeps;
    /** The projector's announced checkpoints: what read-your-writes waits on. */
    projection: ProjectionWatch;
  }
}
