import { refreshAll } from '$app/navigation';
import { EVENT_TYPES } from './events.ts';

export type LiveStatus = 'connecting' | 'live' | 'offline';

/**
 * The agent's live event stream. One EventSource on the same-origin `/live` proxy; every
 * event schedules one debounced `refreshAll()`, so a burst of events costs one reload of the
 * page's data. EventSource reconnects by itself after a dropped connection; if the browser
 * gives up (the stream answered with an error status) we reopen it with a backoff.
 */
export class LiveConnection {
  status = $state<LiveStatus>('connecting');
  lastEvent = $state<{ type: string; at: number } | null>(null);

  #source: EventSource | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #stopped = false;
  /** The proxy said the gateway is unreachable; stay "offline" until a stream really holds. */
  #gatewayDown = false;
  #settle: ReturnType<typeof setTimeout> | null = null;
  #wasLive = false;
  #url: string;
  #debounceMs: number;

  constructor(url = '/live', debounceMs = 250) {
    this.#url = url;
    this.#debounceMs = debounceMs;
  }

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#settle) clearTimeout(this.#settle);
    this.#source?.close();
    this.#source = null;
  }

  #open(): void {
    if (this.#stopped) return;
    this.status = 'connecting';
    const es = new EventSource(this.#url);
    this.#source = es;
    es.onopen = () => {
      this.#attempt = 0;
      // The proxy answers 200 even when the gateway is down (then sends `realtoros-offline`
      // and closes), so "live" is only claimed once the stream has held for a moment.
      if (this.#settle) clearTimeout(this.#settle);
      this.#settle = setTimeout(
        () => {
          this.#gatewayDown = false;
          this.status = 'live';
          // Back after a drop: catch up on whatever happened while we were away.
          if (this.#wasLive) this.#schedule();
          this.#wasLive = true;
        },
        this.#gatewayDown ? 1500 : 300,
      );
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // The browser won't retry by itself now: back off and reopen.
        this.status = 'offline';
        es.close();
        const delay = Math.min(30_000, 1000 * 2 ** this.#attempt++);
        this.#retry = setTimeout(() => this.#open(), delay);
      } else {
        this.status = this.#gatewayDown ? 'offline' : 'connecting';
      }
    };
    const onEvent = (e: MessageEvent) => {
      this.#gatewayDown = false;
      this.status = 'live';
      this.lastEvent = { type: e.type, at: Date.now() };
      this.#schedule();
    };
    es.addEventListener('realtoros-offline', () => {
      if (this.#settle) clearTimeout(this.#settle);
      this.#gatewayDown = true;
      this.status = 'offline';
    });
    es.onmessage = onEvent;
    for (const t of EVENT_TYPES) es.addEventListener(t, onEvent);
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void refreshAll();
    }, this.#debounceMs);
  }
}
