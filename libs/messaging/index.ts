export {
  type AggregateRef,
  type CommandHandler,
  type CommandHandlerOptions,
  createCommandHandler,
  type Decider,
  type EventDraft,
  eventIdFor,
  type HandleOptions,
  type HandleResult,
} from './src/command-handler.ts';
export { type CommandContext, type CommandHandlers, type CommandResult, sendCommand, serveCommands } from './src/commands.ts';
export { connectNats } from './src/connect.ts';
export {
  type ConsumerOptions,
  type EventHandler,
  ensureConsumer,
  type HandlerContext,
  type RunningConsumer,
  runConsumer,
} from './src/consumer.ts';
export { recordDeadLetter } from './src/dead-letters.ts';
export { ConcurrencyError, DomainError, PoisonMessageError, ServiceUnavailableError } from './src/errors.ts';
export {
  type AppendOptions,
  type AppendResult,
  createEventStore,
  type EventStore,
  HISTORY_HEADER,
  type StoredEvent,
  streamOf,
} from './src/event-store.ts';
export { decodeEvent, type NewEventInput, newEvent, storableText, subjectOf } from './src/events.ts';
// Derived ids live in contracts (pure, shared with libs/planning); re-exported here for the services.
export { deterministicId } from '@realtoros/contracts';
export {
  isAlreadyExists,
  isConnectionLost,
  isConsumerNotFound,
  isNatsUnavailable,
  isNoResponders,
  isStreamNotFound,
  isTimeout,
  isWrongLastSequence,
} from './src/nats-errors.ts';
export { onShutdown } from './src/shutdown.ts';
export { DEAD_LETTER_STREAM, ensureEventStreams, ensureStream, eventStreamConfig, natsReplicas } from './src/streams.ts';
export { IMPORT_FILE_RETENTION_MS, IMPORT_FILES_BUCKET, openImportFiles } from './src/import-files.ts';
export { type HistoryReader, historyReader } from './src/history-reader.ts';
