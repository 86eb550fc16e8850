export { findAgentCredentials, getAgent, projectedSeq } from './src/agents.ts';
export {
  type ClientFilter,
  clientIdsMatching,
  clientsByIds,
  clientsForExport,
  clientTimeline,
  customFieldKeys,
  getClient,
  listClients,
} from './src/clients.ts';
export { type DashboardStats, dashboardStats } from './src/dashboard.ts';
export { type EmailFilter, emailsForExport, getEmail, listEmails, recentEmailsTo } from './src/emails.ts';
export {
  enrollmentsOf,
  getEnrollment,
  getPlan,
  getPlanVersion,
  getSettings,
  listPlans,
  type PlanPreviewEnrollment,
  planPreviewInputs,
} from './src/plans.ts';
export { likePattern, offsetOf, type PageRequest, toJson } from './src/rows.ts';
export { getTask, listTasks, upcomingTasks } from './src/tasks.ts';
export { emailTrailEvents, taskEvents } from './src/trails.ts';
export { clientActivities, clientConversation, reviewCount, reviewQueue } from './src/conversation.ts';
export { existingClientEmails, getImport, type ImportJob, recentImports } from './src/imports.ts';
export { getTemplate, listTemplates, missingTemplateIds } from './src/templates.ts';
export { listAudit } from './src/audit.ts';
