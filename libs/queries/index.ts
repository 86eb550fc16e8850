export { listClients, getClient, clientTimeline } from './src/clients.ts';
export { getAgent, findAgentCredentials, projectedSeq } from './src/agents.ts';
export { toJson, likePattern, offsetOf, type PageRequest } from './src/rows.ts';
export { listEmails, getEmail, recentEmailsTo } from './src/emails.ts';
export { dashboardStats, type DashboardStats } from './src/dashboard.ts';
export { listTasks, getTask, upcomingTasks } from './src/tasks.ts';
