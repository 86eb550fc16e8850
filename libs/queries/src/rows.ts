/** Read-model rows → API JSON: Date → ISO string, bigint-ish → number. */
export function toJson<T extends Record<string, unknown>>(row: T): { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out as never;
}

export type PageRequest = { page: number; limit: number };
export const offsetOf = (p: PageRequest) => (p.page - 1) * p.limit;

/** Escapes LIKE wildcards in user search text. */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
