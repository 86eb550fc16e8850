import { type CommandHandler, createCommandHandler, type EventStore, type HandleResult } from '@realtoros/messaging';
import { type TaskCommand, taskDecider } from './decide.ts';
import type { TaskEventType, TaskState } from './task.ts';

/**
 * Tasks on the one command path (libs/messaging createCommandHandler): load the task's
 * subject → decide → append expecting the loaded sequence; a lost race is decided again
 * there, nowhere else. Event ids are (type, task, cause) unless a caller overrides one:
 * TaskDue is keyed on the schedule version (two timers for one version append one TaskDue),
 * TaskScheduled of a planned task on the task alone (one plan per client, whatever
 * redelivers). TaskScheduled only ever opens a subject, so a young task loads in one read.
 */
export const createTaskStore = (store: EventStore): TaskStore =>
  createCommandHandler(store, taskDecider, { stream: 'SCHEDULER', aggregate: 'task', firstEventTypes: ['TaskScheduled'] });

export type TaskStore = CommandHandler<TaskCommand, TaskState, TaskEventType>;
export type TaskHandleResult = HandleResult<TaskState>;
