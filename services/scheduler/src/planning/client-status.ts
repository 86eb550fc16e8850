import { type ClientStanding, clientStanding, foldClientFacts, subjects } from '@realtoros/contracts';
import type { EventStore } from '@realtoros/messaging';

export type ClientStatus = ClientStanding;

/**
 * A client's standing as the CRM's published events tell it (never the CRM's private
 * state), through the one fold of client facts (libs/contracts): read from the client's own
 * subject, which carries the agent — so another agent's client is simply absent.
 */
export async function clientStatus(store: EventStore, agentId: string, clientId: string): Promise<ClientStatus> {
  const { events } = await store.readSubject('CRM', subjects.client(agentId, clientId));
  return clientStanding(foldClientFacts(events.map((e) => e.event)));
}
