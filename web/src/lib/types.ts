/** The read-model row shapes the pages render (the API shapes of ARCHITECTURE.md §7). */
export type {
  Agent,
  Client,
  EmailLog,
  PageOf,
  Task,
  TimelineEntry,
} from '@realtoros/contracts';

/** One definition, from the query module that computes it. */
export type { DashboardStats } from '@realtoros/queries';
