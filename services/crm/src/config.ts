import { CommonConfig, Type } from '@realtoros/config';

export const CrmConfig = Type.Object({
  NATS_URL: CommonConfig.NATS_URL,
  LOG_LEVEL: CommonConfig.LOG_LEVEL,
  HEALTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9101, description: 'port of the liveness (/healthz) and readiness (/readyz) endpoint; 0 = none' }),
});
