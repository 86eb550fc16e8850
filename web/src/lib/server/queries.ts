/**
 * The read side: the shared query module (`@realtoros/queries`, the same tenancy filter the
 * gateway uses — every function takes the agent's id). Pages import from here so the app
 * has one surface to the read models.
 */
export {
  clientConversation,
  clientTimeline,
  customFieldKeys,
  dashboardStats,
  getClient,
  getAgent,
  getEmail,
  getImport,
  getPlan,
  getSettings,
  getTask,
  getTemplate,
  listAudit,
  listClients,
  listEmails,
  listPlans,
  listTasks,
  listTemplates,
  recentImports,
  reviewCount,
  reviewQueue,
  upcomingTasks,
} from '@realtoros/queries';
