import { subjects } from '@realtoros/contracts';
import type { EventStore } from '@realtoros/messaging';

export type ClientStatus = 'absent' | 'active' | 'unsubscribed' | 'deleted';

/**
 * A client's standing as the CRM's published events tell it (never the CRM's private
 * state): read from the client's own subject, which carries the agent — so another agent's
 * client is simply absent.
 */
export async function clientStatus(store: EventStore, agentId: string, clientId: string): Promise<ClientStatus> {
  const { events } = await store.readSubject('CRM', subjects.client(agentId, clientId));
  let status: ClientStatus = 'absent';
  for (const { event } of events) {
    if (event.type === 'ClientCreated') status = 'active';
    else if (event.type === 'ClientDeleted') status = 'deleted';
    else if (event.type === 'ClientUnsubscribed' && status === 'active') status = 'unsubscribed';
  }
  return status;
}
