import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** The body of the next request; called once per request, so each one can be a new attempt. */
  nextBody: () => string;
}

export interface LoadFigures {
  connections: number;
  durationS: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  sent: number;
  /** Requests sent but not answered when the run stopped (autocannon closes their sockets). */
  cutOff: number;
  /** submissionId of every 2xx answer that said it stored a new attempt. */
  storedIds: string[];
  /** 2xx answers that said "duplicate": every request is meant to be a new attempt, so this should be 0. */
  duplicates: number;
  statusCodes: Record<string, number>;
}

/** One fixed-duration autocannon run of POSTs, each with a body of its own. */
export async function runLoad(opts: LoadOptions): Promise<LoadFigures> {
  const storedIds: string[] = [];
  let duplicates = 0;
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: opts.nextBody() }),
        onResponse: (status, body) => {
          if (status < 200 || status > 299) return;
          const answer = JSON.parse(body) as { submissionId?: string; duplicate?: boolean };
          if (answer.duplicate) duplicates += 1;
          else if (answer.submissionId) storedIds.push(answer.submissionId);
        },
      },
    ],
  });
  const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    connections: opts.connections,
    durationS: result.duration,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    sent: result.requests.sent,
    cutOff: Math.max(0, result.requests.sent - answered - result.errors),
    storedIds,
    duplicates,
    statusCodes,
  };
}
