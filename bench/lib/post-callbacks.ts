export interface PostOutcome {
  statuses: Record<string, number>;
  /** Requests made (fewer than asked for if the deadline came first). */
  sent: number;
  accepted: number;
  elapsedMs: number;
}

/**
 * POSTs `count` bodies with at most `concurrency` in flight; stops early (not mid-request) at
 * `deadline` or when `stop()` says so. Calls `progress` about every 15 s.
 */
export async function postCallbacks(
  url: string,
  count: number,
  concurrency: number,
  body: (i: number) => string,
  limits: { deadline: number; stop: () => boolean; progress: (posted: number) => void },
): Promise<PostOutcome> {
  const statuses: Record<string, number> = {};
  const startedAt = Date.now();
  let next = 0;
  let lastProgress = startedAt;
  const worker = async () => {
    while (next < count && Date.now() < limits.deadline && !limits.stop()) {
      if (Date.now() - lastProgress >= 15_000) {
        lastProgress = Date.now();
        limits.progress(next);
      }
      const i = next++;
      let key: string;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(i),
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        key = String(res.status);
      } catch (error) {
        key = `error (${(error as Error).name})`;
      }
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const sent = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { statuses, sent, accepted: statuses['202'] ?? 0, elapsedMs: Date.now() - startedAt };
}
