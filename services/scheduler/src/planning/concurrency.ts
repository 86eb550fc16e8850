/**
 * Runs `fn` for messages of one key strictly one after another, in the order they were
 * handed in, while different keys run side by side. With a consumer handling several
 * messages at once, this keeps one aggregate's events (one client's enrolment subject) in
 * stream order: deliveries start in stream order, so each one queues behind the previous
 * one of its key. (A redelivery after a failure is the exception, as it is for any
 * consumer; handlers check the aggregate's current state instead of trusting the order.)
 */
export function serialByKey() {
  const tails = new Map<string, Promise<unknown>>();
  return function run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}

/** `fn` over `items`, at most `limit` at once; the first failure rejects once the others in flight settle. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}
