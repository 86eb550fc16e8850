import { CommonConfig, Type } from '@realtoros/config';

export const ProjectorConfig = Type.Object({
  ...CommonConfig,
  PROJECTOR_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'events per read-model transaction' }),
});
