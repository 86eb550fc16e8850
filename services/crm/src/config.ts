import { CommonConfig, Type } from '@realtoros/config';

export const CrmConfig = Type.Object({ NATS_URL: CommonConfig.NATS_URL, LOG_LEVEL: CommonConfig.LOG_LEVEL });
