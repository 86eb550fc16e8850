/** The read-model row shapes the pages render (the API shapes of ARCHITECTURE.md §7, §10). */
export type {
  Agent,
  AgentSettings,
  Client,
  ConversationItem,
  EmailLog,
  Enrollment,
  PageOf,
  Plan,
  PlanPreview,
  Task,
  Template,
  TimelineEntry,
  TrailItem,
} from '@realtoros/contracts';

/** One definition, from the query module that computes it. */
export type { DashboardStats } from '@realtoros/queries';
