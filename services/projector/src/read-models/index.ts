import type { Projection } from '../projection.ts';
import { activitiesProjection } from './activities/projection.ts';
import { auditProjection } from './audit/projection.ts';
import { agentSettingsProjection } from './agent-settings/projection.ts';
import { agentsProjection } from './agents/projection.ts';
import { clientsProjection } from './clients/projection.ts';
import { dashboardSummaryProjection } from './dashboard-summary/projection.ts';
import { emailLogsProjection } from './email-logs/projection.ts';
import { enrollmentsProjection } from './enrollments/projection.ts';
import { importsProjection } from './imports/projection.ts';
import { plansProjection } from './plans/projection.ts';
import { repliesProjection } from './replies/projection.ts';
import { tasksProjection } from './tasks/projection.ts';
import { templatesProjection } from './templates/projection.ts';
import { timelineProjection } from './timeline/projection.ts';

/** Every read model the projector maintains; one folder each, applied in this order. */
export const PROJECTIONS: readonly Projection[] = [
  agentsProjection,
  clientsProjection,
  timelineProjection,
  emailLogsProjection,
  tasksProjection,
  plansProjection,
  enrollmentsProjection,
  agentSettingsProjection,
  repliesProjection,
  activitiesProjection,
  importsProjection,
  templatesProjection,
  auditProjection,
  // Last: it counts the rows the clients, tasks and email_logs projections have just written.
  dashboardSummaryProjection,
];
