export { connectNats } from './src/connect.ts';
export { ensureStream, ensureEventStreams, eventStreamConfig, natsReplicas, DEAD_LETTER_STREAM } from './src/streams.ts';
export { createEventStore, streamOf, type EventStore, type AppendOptions, type AppendResult, type StoredEvent } from './src/event-store.ts';
export { newEvent, decodeEvent, storableText, subjectOf, type NewEventInput } from './src/events.ts';
export { deterministicId } from './src/ids.ts';
export { runConsumer, ensureConsumer, type ConsumerOptions, type EventHandler, type HandlerContext, type RunningConsumer } from './src/consumer.ts';
export {
  createCommandHandler, eventIdFor,
  type Decider, type EventDraft, type AggregateRef, type CommandHandler, type CommandHandlerOptions, type HandleOptions, type HandleResult,
} from './src/command-handler.ts';
export { serveCommands, sendCommand, type CommandHandlers, type CommandContext, type CommandResult } from './src/commands.ts';
export { isAlreadyExists, isConnectionLost, isConsumerNotFound, isNoResponders, isStreamNotFound, isTimeout, isWrongLastSequence } from './src/nats-errors.ts';
export { recordDeadLetter } from './src/dead-letters.ts';
export { onShutdown } from './src/shutdown.ts';
export { DomainError, ConcurrencyError, PoisonMessageError, ServiceUnavailableError } from './src/errors.ts';
