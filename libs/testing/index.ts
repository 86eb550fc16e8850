export { startNats, type TestNats } from './src/nats.ts';
export { createTestDatabase, type TestDatabase } from './src/postgres.ts';
export { freePort, tcpAnswers, waitFor } from './src/ports.ts';
export { startService, type ServiceProcess } from './src/processes.ts';
export { startStack, type Stack, type ServiceName } from './src/stack.ts';
