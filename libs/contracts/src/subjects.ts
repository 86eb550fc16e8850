import type { StreamName } from './registry.ts';

/** The nil UUID: the tenant of what belongs to no agent (webhook commands, unmatched inbound mail). */
export const NO_AGENT = '00000000-0000-0000-0000-000000000000';

/** Subjects of ARCHITECTURE.md §2: one subject per aggregate instance. */
export const subjects = {
  agent: (agentId: string) => `crm.${agentId}.agent`,
  /** The agent's audit log (issue 13): append only, one event per entry; aggregate id = the agent's. */
  audit: (agentId: string) => `crm.${agentId}.audit`,
  client: (agentId: string, clientId: string) => `crm.${agentId}.client.${clientId}`,
  /** An agent's email template (issue 10). */
  template: (agentId: string, templateId: string) => `crm.${agentId}.template.${templateId}`,
  /** A CSV import job: its start, progress and end (issue 10). */
  importJob: (agentId: string, importId: string) => `crm.${agentId}.import.${importId}`,
  task: (agentId: string, taskId: string) => `sched.${agentId}.task.${taskId}`,
  plan: (agentId: string, planId: string) => `sched.${agentId}.plan.${planId}`,
  /** One subject per client: its enrolments, one after another. */
  enrollment: (agentId: string, clientId: string) => `sched.${agentId}.enrollment.${clientId}`,
  generatedEmail: (agentId: string, emailId: string) => `ai.${agentId}.email.${emailId}`,
  mailedEmail: (agentId: string, emailId: string) => `mail.${agentId}.email.${emailId}`,
  /** A client's replies (SendGrid Inbound Parse), one after another. */
  clientReplies: (agentId: string, clientId: string) => `mail.${agentId}.client.${clientId}`,
  /** An inbound message nobody could be matched to: under the nil agent, for ops only. */
  unmatchedInbound: (inboundId: string) => `mail.${NO_AGENT}.inbound.${inboundId}`,
  command: (service: string, name: string) => `cmd.${service}.${name}`,
  deadLetter: (stream: string, consumer: string) => `dlq.${stream}.${consumer}`,
  live: (agentId: string) => `live.${agentId}`,
  /** Core NATS: the projector's checkpoint of a stream after each commit (payload: the sequence, as text). */
  projected: (stream: string) => `projector.projected.${stream}`,
} as const;

/** Parses `<prefix>.<agent_id>.<aggregate>[.<id>]`. */
export function parseSubject(subject: string): { agentId: string; aggregate: string; id: string | null } | null {
  const parts = subject.split('.');
  if (parts.length < 3 || !parts[1] || !parts[2]) return null;
  return { agentId: parts[1], aggregate: parts[2], id: parts[3] ?? null };
}

export const STREAM_SUBJECTS: Record<StreamName, string[]> = {
  CRM: ['crm.>'],
  SCHEDULER: ['sched.>'],
  AI: ['ai.>'],
  MAILER: ['mail.>'],
};

export function subjectFor(stream: StreamName, agentId: string, aggregate: string, aggregateId: string): string {
  switch (stream) {
    case 'CRM':
      return aggregate === 'agent'
        ? subjects.agent(agentId)
        : aggregate === 'audit'
          ? subjects.audit(agentId)
          : aggregate === 'template'
            ? subjects.template(agentId, aggregateId)
            : aggregate === 'import'
              ? subjects.importJob(agentId, aggregateId)
              : subjects.client(agentId, aggregateId);
    case 'SCHEDULER':
      return aggregate === 'plan'
        ? subjects.plan(agentId, aggregateId)
        : aggregate === 'enrollment'
          ? subjects.enrollment(agentId, aggregateId)
          : subjects.task(agentId, aggregateId);
    case 'AI':
      return subjects.generatedEmail(agentId, aggregateId);
    case 'MAILER':
      return aggregate === 'client'
        ? subjects.clientReplies(agentId, aggregateId)
        : aggregate === 'inbound'
          ? subjects.unmatchedInbound(aggregateId)
          : subjects.mailedEmail(agentId, aggregateId);
  }
}

/** Core-NATS subject on which the projector announces an agent's events once projected. */
export const liveSubject = (agentId: string) => subjects.live(agentId);
