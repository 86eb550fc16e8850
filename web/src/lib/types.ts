/** The read-model row shapes the pages render (the API shapes of ARCHITECTURE.md §7). */
export type {
  Agent,
  Client,
  EmailLog,
  PageOf,
  Task,
  TimelineEntry,
} from '@realtoros/contracts';

export type DashboardStats = {
  clients_total: number;
  clients_by_stage: Record<string, number>;
  tasks: { pending: number; due_today: number; overdue: number; completed: number; failed: number };
  emails: { sent: number; failed: number; delivered: number; opened: number; clicked: number; bounced: number; sent_this_week: number };
  open_rate: number;
  click_rate: number;
  daily: { date: string; sent: number; opened: number; clicked: number }[];
};
