export type SimFault =
  | { kind: 'http'; status: number; body?: string }
  | { kind: 'html' }
  | { kind: 'garbage' }
  | { kind: 'hang' }
  /** A 200 JSON answer of `bytes` bytes (a string value padded with spaces), streamed so the simulator never holds it. */
  | { kind: 'huge'; bytes: number }
  | { kind: 'reset' }
  | { kind: 'error'; errorcode: string; exception?: string; message?: string };

interface FaultRule {
  remaining: number;
  fault: SimFault;
  wsfunction?: string;
}

/** Queued one-shot faults; the oldest rule matching a call is used first. */
export class FaultQueue {
  private rules: FaultRule[] = [];

  add(count: number, fault: SimFault, wsfunction?: string): void {
    if (count > 0) this.rules.push({ remaining: count, fault, wsfunction });
  }

  take(wsfunction: string): SimFault | undefined {
    const rule = this.rules.find((r) => r.wsfunction === undefined || r.wsfunction === wsfunction);
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule.fault;
  }

  clear(): void {
    this.rules = [];
  }
}

export interface RateLimit {
  /** Calls admitted per second; extra calls wait their turn (FIFO), they are never refused. */
  perSecond?: number;
  /** Calls being served at once (latency included); extra calls wait. */
  maxConcurrent?: number;
}

/**
 * Admission queue in front of the web-service handler, to make benchmarks see a Moodle of a
 * given capacity: calls start at most `perSecond` per second (evenly spaced, no burst) and at
 * most `maxConcurrent` at a time.
 */
export class Admission {
  private limit: RateLimit = {};
  private waiting: ((admittedAt: number) => void)[] = [];
  private nextStartAt = 0;
  private timer: NodeJS.Timeout | undefined;
  active = 0;
  maxActiveSeen = 0;

  configure(limit: RateLimit | null): void {
    this.limit = limit ?? {};
    this.nextStartAt = 0;
    this.pump();
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the admission time (Date.now()) once the call may start. */
  acquire(): Promise<number> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.pump();
    });
  }

  release(): void {
    this.active -= 1;
    this.pump();
  }

  /** Lets every waiting call through at once (reset/close). */
  flush(): void {
    this.limit = {};
    this.pump();
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiting.length > 0) {
      const { perSecond, maxConcurrent } = this.limit;
      if (maxConcurrent !== undefined && this.active >= maxConcurrent) return;
      const now = Date.now();
      if (perSecond !== undefined && perSecond > 0) {
        if (now < this.nextStartAt) {
          this.timer = setTimeout(() => this.pump(), this.nextStartAt - now);
          return;
        }
        this.nextStartAt = Math.max(now, this.nextStartAt) + 1000 / perSecond;
      }
      const next = this.waiting.shift();
      this.active += 1;
      this.maxActiveSeen = Math.max(this.maxActiveSeen, this.active);
      next?.(now);
    }
  }
}
