/**
 * bench:chaos — N callbacks for one grade item, posted at a steady pace into the real service
 * (ROLE=api and ROLE=worker in processes of their own) while the script, at random moments within
 * a bounded window, SIGKILLs the worker (and starts a new one), restarts Redis (a private
 * redis-server on its own loopback port, never the shared one) and drops every PostgreSQL
 * connection of the bench database (pg_terminate_backend). Then it waits for every accepted
 * callback's grade and counts, from the Moodle simulator's own call log, what landed and how often.
 *
 *   npm run bench:chaos   (BENCH_CHAOS_N=2000, BENCH_CHAOS_POST_S=40, BENCH_CHAOS_FAULTS=9,
 *                          BENCH_CHAOS_SEED=<random>, BENCH_CHAOS_TIMEOUT_S=300,
 *                          BENCH_CHAOS_LAST=kill|redis|pg to choose the kind of the last fault)
 *
 * Targets: 0 accepted callbacks without their grade, 0 students written twice, and the last grade
 * within 90 s of the last fault.
 */
import { Client } from 'pg';
import type { SimCall } from '../test/moodle-simulator/types';
import { RedisProcess } from '../test/support/redis-process';
import { choiceFromEnv, describeCode, loadAverage, log, newRunId, numberFromEnv, PG_ADMIN_URL, settingsOrExit, sleep } from './lib/bench-env';
import { runBench } from './lib/cleanup';
import { createBenchStorage } from './lib/database';
import { callbackBody, configureGradeSync, LMS_COURSE_ID, newAdminToken, newEncryptionKey, TARGETS } from './lib/grade-sync-setup';
import { ChildServer, ensureBuilt, freePort, startService } from './lib/processes';
import { SimulatorProcess } from './lib/simulator-process';
import { countSyncStates, formatStates } from './lib/sync-states';
import { markdownTable, verdict } from './lib/table';

const FIRST_STUDENT_ID = 1000;
const LATENCY_MS = 100;
const PER_SECOND = 20;
const TARGET_AFTER_FAULT_S = 90;
const POST_CONCURRENCY = 20;

const LAST_CHOICES = { kill: 'kill worker', redis: 'restart Redis', pg: 'drop PostgreSQL connections' } as const;

const { N, postS, faults, seed, timeoutS, lastKind } = settingsOrExit(() => ({
  N: Math.floor(numberFromEnv('BENCH_CHAOS_N', 2000)),
  postS: numberFromEnv('BENCH_CHAOS_POST_S', 40),
  faults: Math.floor(numberFromEnv('BENCH_CHAOS_FAULTS', 9)),
  seed: Math.floor(numberFromEnv('BENCH_CHAOS_SEED', 1 + Math.floor(Math.random() * 1e9))),
  timeoutS: numberFromEnv('BENCH_CHAOS_TIMEOUT_S', 300),
  lastKind: process.env.BENCH_CHAOS_LAST ? LAST_CHOICES[choiceFromEnv('BENCH_CHAOS_LAST', ['kill', 'redis', 'pg'] as const, 'kill')] : null,
}));

/** mulberry32: a seeded PRNG, so a run's fault schedule can be repeated with BENCH_CHAOS_SEED. */
function seededRandom(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type FaultKind = 'kill worker' | 'restart Redis' | 'drop PostgreSQL connections';
const KINDS: FaultKind[] = ['kill worker', 'restart Redis', 'drop PostgreSQL connections'];

interface FaultRecord {
  kind: FaultKind;
  at: number;
  /** When the fault was over (the new worker started, Redis answered again). */
  healedAt: number;
  detail: string;
}

/** Student ids in the non-faulted grade-writing calls, with the time of each write. */
function writesByStudent(calls: SimCall[]): Map<number, number[]> {
  const writes = new Map<number, number[]>();
  for (const call of calls) {
    if (call.fault || call.wsfunction !== 'core_grades_update_grades') continue;
    for (const [k, v] of Object.entries(call.params)) {
      if (!/^grades\[\d+\]\[studentid\]$/.test(k)) continue;
      const list = writes.get(Number(v)) ?? [];
      list.push(call.at);
      writes.set(Number(v), list);
    }
  }
  return writes;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

runBench('bench:chaos', (postS + timeoutS + 300) * 1000, async (cleanup) => {
  ensureBuilt();
  const runId = newRunId();
  const random = seededRandom(seed);
  log(`run ${runId}; code ${describeCode()}; N=${N} over ${postS} s, ${faults} faults, seed ${seed}; load average ${loadAverage()}`);
  const storage = await createBenchStorage(runId, (name, run) => cleanup.add(name, run));
  const redis = await RedisProcess.start(await freePort());
  cleanup.add('private redis-server', () => redis.down());
  const sim = await SimulatorProcess.start({ students: N, firstStudentId: FIRST_STUDENT_ID, courseId: LMS_COURSE_ID });
  cleanup.add('Moodle simulator', () => sim.close());
  // Default settings throughout (SYNC_LEASE_MS, OUTBOX_*): what a fresh deployment runs with.
  const adminToken = newAdminToken();
  const env = {
    DATABASE_URL: storage.databaseUrl,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `${storage.redisPrefix}svc`,
    ADMIN_API_TOKEN: adminToken,
    ENCRYPTION_KEY: newEncryptionKey(),
    SIGNING_KEY: newEncryptionKey(),
    LOG_LEVEL: 'warn',
    CALLBACK_RATE_LIMIT_PER_MIN: String(1_000_000_000),
    NODE_OPTIONS: '--max-old-space-size=192 --max-semi-space-size=8', // as start:prod and the Docker image
  };
  const services: ChildServer[] = [];
  cleanup.add('services', async () => {
    for (const s of services) await s.stop(2000);
  });
  const start = async (role: 'api' | 'worker') => {
    const s = await startService(role, { ...env, ROLE: role });
    services.push(s);
    await s.waitReady('/health/live');
    return s;
  };
  const api = await start('api');
  await api.waitReady('/health/ready');
  let worker = await start('worker');
  await configureGradeSync(api.baseUrl, adminToken, sim, 'activity');
  await sim.configure(LATENCY_MS, PER_SECOND);

  // A dedicated admin connection for the PostgreSQL fault, opened before any fault.
  const pgAdmin = new Client({ connectionString: PG_ADMIN_URL });
  await pgAdmin.connect();
  cleanup.add('PostgreSQL admin client', () => pgAdmin.end());

  const startedAt = Date.now();
  const statuses: Record<string, number> = {};
  let lastAcceptedAt = 0;
  const accepted: number[] = [];

  const post = async (i: number) => {
    let key: string;
    try {
      const res = await fetch(`${api.baseUrl}/speechace/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: callbackBody(runId, i, FIRST_STUDENT_ID + i),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      key = String(res.status);
      if (res.status === 202) {
        accepted.push(FIRST_STUDENT_ID + i);
        lastAcceptedAt = Math.max(lastAcceptedAt, Date.now());
      }
    } catch (error) {
      key = `error (${(error as Error).name})`;
    }
    statuses[key] = (statuses[key] ?? 0) + 1;
  };

  /** Callback i goes out at startedAt + i × postS / N, at most POST_CONCURRENCY in flight. */
  const posting = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < N; i++) {
      const due = startedAt + (i * postS * 1000) / N;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight.size >= POST_CONCURRENCY) await Promise.race(inFlight);
      const p = post(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  })();

  // Every kind at least once, the rest drawn at random; moments spread over the posting window.
  const kinds = [...KINDS, ...Array.from({ length: Math.max(0, faults - KINDS.length) }, () => KINDS[Math.floor(random() * KINDS.length)]!)];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  if (lastKind) kinds.push(lastKind);
  const moments = kinds.map(() => 2000 + random() * (postS * 1000 - 2000)).sort((a, b) => a - b);
  const records: FaultRecord[] = [];
  for (const [i, kind] of kinds.entries()) {
    const due = startedAt + moments[i]!;
    if (due > Date.now()) await sleep(due - Date.now());
    const at = Date.now();
    let detail: string;
    if (kind === 'kill worker') {
      const victim = worker;
      await victim.kill('SIGKILL');
      const downMs = 500 + Math.floor(random() * 3000);
      await sleep(downMs);
      worker = await start('worker');
      detail = `pid ${victim.pid} killed; new worker ${worker.pid} after ${downMs} ms`;
    } else if (kind === 'restart Redis') {
      await redis.down();
      const downMs = 500 + Math.floor(random() * 3000);
      await sleep(downMs);
      await redis.up();
      detail = `down ${downMs} ms (no persistence: every job was lost)`;
    } else {
      const { rows } = await pgAdmin.query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [storage.database],
      );
      detail = `${rows[0]?.n ?? 0} connection(s) terminated`;
    }
    records.push({ kind, at, healedAt: Date.now(), detail });
    log(`${seconds(at - startedAt)}: ${kind}: ${detail}`);
  }
  await posting;
  const lastFaultAt = Math.max(...records.map((r) => r.healedAt));
  log(`posted: ${JSON.stringify(statuses)}; waiting for every accepted callback's grade`);
  // Opened only now: the PostgreSQL fault terminates every connection to the bench database.
  const db = new Client({ connectionString: storage.databaseUrl });
  await db.connect();
  cleanup.add('PostgreSQL client', () => db.end());

  // Done when every accepted student holds a grade and no sync is open; bounded by the timeout.
  const deadline = Math.max(Date.now(), lastFaultAt) + timeoutS * 1000;
  let counts = await countSyncStates(db);
  let held: number;
  for (;;) {
    counts = await countSyncStates(db).catch(() => counts);
    held = await sim.gradesHeld(TARGETS.activity.cmid, accepted);
    if ((held === accepted.length && counts.open === 0) || Date.now() > deadline) break;
    await sleep(500);
  }
  const calls = await sim.calls();
  const writes = writesByStudent(calls);
  const lastGradeAt = Math.max(0, ...accepted.map((u) => Math.min(...(writes.get(u) ?? [Infinity]))).filter(Number.isFinite));
  const writtenTwice = accepted.filter((u) => (writes.get(u)?.length ?? 0) > 1);
  const lost = accepted.length - held;
  const died = services.map((s) => s.unexpectedExit()).filter((e): e is string => e !== null);

  console.log(`\nChaos run: ${N} callbacks over ${postS} s into one mod_lti grade item; Moodle ${LATENCY_MS} ms per answer, ${PER_SECOND} calls/s; seed ${seed}\n`);
  console.log(
    markdownTable(
      ['at', 'fault', 'what'],
      records.map((r) => [seconds(r.at - startedAt), r.kind, r.detail]),
    ),
  );
  console.log(`\n  callbacks answered: ${JSON.stringify(statuses)}`);
  console.log(`  callbacks accepted (202): ${accepted.length}`);
  console.log(`  grades in the simulator for accepted callbacks: ${held} (lost: ${lost})`);
  console.log(`  students written more than once: ${writtenTwice.length}${writtenTwice.length ? ` (${writtenTwice.slice(0, 10).join(', ')}${writtenTwice.length > 10 ? ', …' : ''})` : ''}`);
  console.log(`  syncs: ${formatStates(counts)}`);
  console.log(`  time from the last callback to the last grade: ${lastGradeAt ? seconds(lastGradeAt - lastAcceptedAt) : 'n/a'}`);
  console.log(`  time from the last fault to the last grade: ${lastGradeAt ? seconds(lastGradeAt - lastFaultAt) : 'n/a'}`);
  if (died.length) console.log(`\n  A SERVICE ENDED BY ITSELF:\n${died.join('\n')}`);
  console.log('\nTargets');
  console.log(`  0 lost: ${lost} → ${verdict(lost === 0)}`);
  console.log(`  0 written twice: ${writtenTwice.length} → ${verdict(writtenTwice.length === 0)}`);
  const afterFault = (lastGradeAt - lastFaultAt) / 1000;
  console.log(`  last grade within ${TARGET_AFTER_FAULT_S} s of the last fault: ${afterFault.toFixed(1)} s → ${verdict(lost === 0 && afterFault <= TARGET_AFTER_FAULT_S)}`);
  log(`load average at the end ${loadAverage()}`);
  return lost === 0 && writtenTwice.length === 0 && afterFault <= TARGET_AFTER_FAULT_S && died.length === 0 ? 0 : 3;
});
