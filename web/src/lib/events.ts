/** Every event type the gateway may stream (ARCHITECTURE.md §2; kept equal to the contracts' registry by a unit test). */
export const EVENT_TYPES = [
  'AgentRegistered', 'ClientCreated', 'ClientUpdated', 'ClientStageChanged', 'ClientDeleted', 'ClientUnsubscribed',
  'TaskScheduled', 'TaskRescheduled', 'TaskDetailsChanged', 'TaskDue', 'TaskCompleted', 'TaskSkipped', 'TaskFailed',
  'TaskCancelled', 'EmailGenerated', 'EmailGenerationFailed', 'EmailSent', 'EmailFailed', 'EmailSendUnknown',
  'EmailSuppressed', 'EmailDelivered', 'EmailOpened', 'EmailClicked', 'EmailBounced', 'EmailDropped',
  'EmailSpamReported', 'EmailUnsubscribed', 'EmailWebhookRecorded',
] as const;
