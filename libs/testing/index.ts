export { startNats, type TestNats } from './src/nats.ts';
export { createTestDatabase, type TestDatabase } from './src/postgres.ts';
export { freePort, tcpAnswers, waitFor } from './src/ports.ts';
export { startService, type ServiceProcess } from './src/processes.ts';
export { startStack, type Stack, type ServiceName } from './src/stack.ts';
export { startHttpFake, type HttpFake, type FakeStep, type RecordedRequest } from './src/fakes/http-fake.ts';
export { startFakeOpenAI, type FakeOpenAI, type ChatMessage } from './src/fakes/openai.ts';
export { startFakeSendGrid, createWebhookSigner, sendGridError, sendGridEvent, type FakeSendGrid, type SentMail, type WebhookSigner } from './src/fakes/sendgrid.ts';
export { startJetStream, type TestJetStream } from './src/jetstream.ts';
