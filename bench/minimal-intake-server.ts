/**
 * The yardstick of bench:intake: a hand-written Node server doing the same durable work per
 * callback as the service's intake — parse the JSON body, one INSERT of a similar row (raw body
 * included) into a table with a unique dedupe index, one Bull queue add — and answering 202.
 * Nothing else: no framework, no key check, no mapping lookup, no syncs.
 *
 * Self-contained (node:*, pg, bull only): bench/lib/processes.ts transpiles it and runs it with
 * plain node. Env: PORT, DATABASE_URL, REDIS_URL, QUEUE_PREFIX.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import Queue from 'bull';
import { Pool } from 'pg';

const BODY_LIMIT = 64 * 1024;
const TABLE = 'bench_minimal_submissions';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 10 });
const redisUrl = new URL(env('REDIS_URL'));
const queue = new Queue('minimal-intake', {
  prefix: env('QUEUE_PREFIX'),
  redis: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379), maxRetriesPerRequest: null, enableReadyCheck: false },
});

interface Callback {
  key?: unknown;
  courseId?: unknown;
  quizId?: unknown;
  userId?: unknown;
  score?: { overall?: unknown };
  reportUrl?: unknown;
  version?: unknown;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= BODY_LIMIT ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}

async function intake(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const raw = await readBody(req);
  if (!raw) return reply(res, 413, { message: 'body too large' });
  let cb: Callback;
  try {
    cb = JSON.parse(raw.toString('utf8')) as Callback;
  } catch {
    return reply(res, 400, { message: 'body is not JSON' });
  }
  if (typeof cb.key !== 'string' || cb.courseId === undefined || cb.quizId === undefined || typeof cb.score?.overall !== 'number') {
    return reply(res, 400, { message: 'key, courseId, quizId and score.overall are required' });
  }
  const userRef = String(cb.userId ?? '');
  const reportUrl = typeof cb.reportUrl === 'string' ? cb.reportUrl : null;
  const identity = [String(cb.courseId), String(cb.quizId), userRef, reportUrl ?? JSON.stringify(cb.score)];
  const dedupeHash = createHash('sha256').update(JSON.stringify(identity)).digest('hex');

  let inserted;
  try {
    inserted = await pool.query<{ id: string }>(
      `INSERT INTO ${TABLE} (dedupe_hash, speechace_course_id, speechace_quiz_id, speechace_user_id, user_ref, scores, report_url, version, raw_body, content_type, source_ip)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (dedupe_hash) DO NOTHING RETURNING id`,
      [dedupeHash, String(cb.courseId), String(cb.quizId), cb.userId === undefined ? null : String(cb.userId), userRef, JSON.stringify(cb.score), reportUrl,
        typeof cb.version === 'string' ? cb.version : null, raw.toString('utf8'), req.headers['content-type'] ?? null, req.socket.remoteAddress ?? null],
    );
  } catch {
    return reply(res, 503, { message: 'could not store the callback' });
  }
  const id = inserted.rows[0]?.id;
  if (!id) return reply(res, 200, { duplicate: true });
  try {
    await queue.add('push-grade', { submissionId: id }, { jobId: id, attempts: 1, removeOnComplete: true });
  } catch {
    // stored; like the service, a Redis failure after the commit still answers 202
  }
  reply(res, 202, { submissionId: id, duplicate: false });
}

async function main(): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq bigserial UNIQUE,
    dedupe_hash text NOT NULL UNIQUE,
    speechace_course_id text NOT NULL,
    speechace_quiz_id text NOT NULL,
    speechace_user_id text,
    user_ref text NOT NULL,
    scores jsonb NOT NULL,
    report_url text,
    version text,
    raw_body text NOT NULL,
    content_type text,
    source_ip text,
    received_at timestamptz NOT NULL DEFAULT now())`);
  await queue.isReady();

  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.split('?')[0] === '/speechace/callback') {
      intake(req, res).catch(() => reply(res, 500, { message: 'internal error' }));
    } else if (req.method === 'GET' && req.url === '/health') {
      reply(res, 200, { status: 'ok' });
    } else {
      reply(res, 404, { message: 'not found' });
    }
  });
  server.listen(Number(env('PORT')), '127.0.0.1');

  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void Promise.allSettled([queue.close(), pool.end()]).then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`minimal intake server: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
