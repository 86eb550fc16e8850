import { CommonConfig, Type } from '@realtoros/config';

export const ProjectorConfig = Type.Object({
  ...CommonConfig,
  HEALTH_PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 9105,
    description: 'port of the liveness (/healthz) and readiness (/readyz) endpoint; 0 = none',
  }),
  PROJECTOR_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'events per read-model transaction' }),
});
