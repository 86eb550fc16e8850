/**
 * The read side: the shared query module (`@realtoros/queries`, the same tenancy filter the
 * gateway uses). Pages import from here so the whole app sees one surface.
 *
 * TEMPORARY: task queries (`listTasks`, `getTask`, `upcomingTasks`) are being added to
 * `@realtoros/queries` concurrently; until they land they are looked up at run time and
 * fail loudly if missing. Replace with plain re-exports once they exist.
 */
import * as Q from '@realtoros/queries';
import type { Db } from '@realtoros/db';
import type { PageOf, Task } from '#lib/types.ts';

export { listClients, getClient, clientTimeline, listEmails, getEmail, dashboardStats } from '@realtoros/queries';

const lib = Q as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
function late<T>(name: string) {
  return (...args: unknown[]): Promise<T> => {
    const f = lib[name];
    if (typeof f !== 'function') return Promise.reject(new Error(`@realtoros/queries does not export ${name} yet`));
    return f(...args) as Promise<T>;
  };
}

export type TaskListQuery = {
  page: number;
  limit: number;
  status?: string;
  client_id?: string;
  due_before?: string;
  due_after?: string;
};

export const listTasks: (db: Db, agentId: string, q: TaskListQuery) => Promise<PageOf<Task>> = late('listTasks');
export const getTask: (db: Db, agentId: string, id: string) => Promise<Task | undefined> = late('getTask');
export const upcomingTasks: (db: Db, agentId: string, now: Date, days: number) => Promise<Task[]> = late('upcomingTasks');
