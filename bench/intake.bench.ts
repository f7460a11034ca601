/**
 * bench:intake — POST /speechace/callback throughput and latency of the real service (ROLE=api)
 * against a minimal hand-written Node server doing the same durable work, measured in one run on
 * the same machine. Every request is a new attempt (its own reportUrl), so every 2xx is an insert.
 * Both servers run side by side; their runs alternate (service, minimal) at each concurrency.
 *
 *   npm run bench:intake          (BENCH_DURATION_S=10 per run, BENCH_WARMUP_S=3)
 */
import os from 'node:os';
import { Client } from 'pg';
import { MoodleSimulator } from '../test/moodle-simulator/moodle-simulator';
import { seedDemo } from '../test/moodle-simulator/seeds';
import { describeCode, loadAverage, log, newRunId, numberFromEnv, REDIS_URL, settingsOrExit } from './lib/bench-env';
import { runBench } from './lib/cleanup';
import { createBenchStorage } from './lib/database';
import { callbackBody, configureGradeSync } from './lib/grade-sync-setup';
import { startGradeSyncService } from './lib/grade-sync-service';
import { LoadFigures, runLoad } from './lib/load';
import { formatMb } from './lib/memory';
import { ChildServer, ensureBuilt, startMinimalServer } from './lib/processes';
import { RowCounter } from './lib/row-counter';
import { markdownTable, verdict } from './lib/table';

const CONCURRENCIES = [10, 50];
const TARGET_RATIO = 0.6;
const TARGET_P99_MS = 100;
const TARGET_RSS_MB = 300;
const CALLBACK_PATH = '/speechace/callback';

interface Measured extends LoadFigures {
  rowsStored: number;
  idsFound: number;
  durable: boolean;
}

interface Target {
  server: ChildServer;
  rows: RowCounter;
  results: Measured[];
}

/** One fixed-duration run against one server, checked against the rows it stored. */
async function measureOnce(t: Target, connections: number, durationS: number, nextBody: () => string): Promise<void> {
  const before = await t.rows.settled();
  log(`${t.server.name}: ${connections} connections for ${durationS} s (load average ${loadAverage()})`);
  const figures = await runLoad({ url: `${t.server.baseUrl}${CALLBACK_PATH}`, connections, durationS, nextBody });
  const died = t.server.unexpectedExit();
  if (died) throw new Error(died);
  const rowsStored = (await t.rows.settled()) - before;
  const idsFound = await t.rows.countIds(figures.storedIds);
  const unanswered = rowsStored - figures.ok2xx;
  const durable =
    figures.duplicates === 0 &&
    figures.storedIds.length === figures.ok2xx &&
    idsFound === figures.ok2xx &&
    unanswered >= 0 &&
    unanswered <= figures.cutOff;
  t.results.push({ ...figures, rowsStored, idsFound, durable });
}

/**
 * Both servers run side by side (the idle one costs next to nothing) and their runs alternate,
 * so a change in the machine's background load hits both alike rather than one of them.
 */
async function measure(targets: Target[], nextBody: () => string, durationS: number, warmupS: number): Promise<void> {
  for (const t of targets) {
    log(`${t.server.name}: warm-up ${warmupS} s`);
    await runLoad({ url: `${t.server.baseUrl}${CALLBACK_PATH}`, connections: 10, durationS: warmupS, nextBody });
  }
  for (const connections of CONCURRENCIES) {
    for (const t of targets) await measureOnce(t, connections, durationS, nextBody);
  }
}

function report(service: Measured[], minimal: Measured[], serviceRss: number | null, minimalRss: number | null): boolean {
  const row = (name: string, m: Measured, ratio: string) => [name, m.connections, m.reqPerSec.toFixed(0), m.p50Ms.toFixed(1), m.p99Ms.toFixed(1), m.ok2xx, m.non2xx, m.errors, ratio];
  const rows: (string | number)[][] = [];
  CONCURRENCIES.forEach((_, i) => {
    const s = service[i]!;
    const m = minimal[i]!;
    rows.push(row('service', s, (s.reqPerSec / m.reqPerSec).toFixed(2)), row('minimal', m, ''));
  });
  console.log('\nThroughput and latency (POST /speechace/callback, every request a new attempt)\n');
  console.log(markdownTable(['server', 'connections', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'non-2xx', 'errors', 'service/minimal req/s'], rows));

  const durabilityRows = [...service.map((m) => ['service', m] as const), ...minimal.map((m) => ['minimal', m] as const)].map(([name, m]) => [
    name,
    m.connections,
    m.ok2xx,
    m.rowsStored,
    `${m.idsFound}/${m.ok2xx}`,
    m.rowsStored - m.ok2xx,
    m.cutOff,
    m.durable ? 'ok' : 'FAILED',
  ]);
  console.log('\nDurability: every 2xx answer is a stored row (rows counted in PostgreSQL after each run)\n');
  console.log(markdownTable(['server', 'connections', '2xx answers', 'rows stored', '2xx ids found in DB', 'rows − 2xx', 'cut off at stop', 'check'], durabilityRows));
  console.log(
    '\n"rows − 2xx" are requests the server stored but whose answer autocannon did not count because the\n' +
      'run ended while they were in flight; the check passes when every 2xx submissionId is in the table,\n' +
      'no answer was a duplicate, and rows − 2xx is between 0 and the number of requests cut off at the stop.',
  );

  console.log(`\nPeak resident memory (VmHWM): service ${formatMb(serviceRss)}, minimal server ${formatMb(minimalRss)}`);

  const s50 = service[service.length - 1]!;
  const m50 = minimal[minimal.length - 1]!;
  const ratio = s50.reqPerSec / m50.reqPerSec;
  console.log('\nTargets');
  console.log(`  throughput at 50 connections ≥ ${TARGET_RATIO * 100}% of the minimal server: ${(ratio * 100).toFixed(0)}% → ${verdict(ratio >= TARGET_RATIO)}`);
  console.log(`  p99 at 50 connections ≤ ${TARGET_P99_MS} ms: ${s50.p99Ms.toFixed(1)} ms → ${verdict(s50.p99Ms <= TARGET_P99_MS)}`);
  console.log(`  service resident memory < ${TARGET_RSS_MB} MB: ${formatMb(serviceRss)} → ${verdict(serviceRss !== null && serviceRss < TARGET_RSS_MB)}`);
  const durable = [...service, ...minimal].every((m) => m.durable);
  console.log(`  every 2xx durably stored: ${durable ? 'yes' : 'NO'}`);
  return durable;
}

const { durationS, warmupS } = settingsOrExit(() => ({
  durationS: numberFromEnv('BENCH_DURATION_S', 10),
  warmupS: numberFromEnv('BENCH_WARMUP_S', 3),
}));
const limitMs = (2 * (warmupS + CONCURRENCIES.length * (durationS + 20)) + 300) * 1000;

runBench('bench:intake', limitMs, async (cleanup) => {
  ensureBuilt();
  const runId = newRunId();
  log(`run ${runId}; code ${describeCode()}; ${os.cpus().length} CPUs; node ${process.version}; ${durationS} s per run; load average ${loadAverage()}`);
  const storage = await createBenchStorage(runId, (name, run) => cleanup.add(name, run));
  const sim = await MoodleSimulator.start({ seed: seedDemo });
  cleanup.add('Moodle simulator', () => sim.close());
  const db = new Client({ connectionString: storage.databaseUrl });
  await db.connect();
  cleanup.add('PostgreSQL client', () => db.end());

  let n = 0;
  const nextBody = () => callbackBody(runId, n++, 4);
  const { service, adminToken } = await startGradeSyncService(storage, 'api', cleanup);
  await configureGradeSync(service.baseUrl, adminToken, sim, 'assign');
  const minimal = await startMinimalServer({ DATABASE_URL: storage.databaseUrl, REDIS_URL, QUEUE_PREFIX: `${storage.redisPrefix}min` });
  cleanup.add('minimal server', () => minimal.stop());
  await minimal.waitReady('/health');

  const serviceTarget: Target = { server: service, rows: new RowCounter(db, 'submissions'), results: [] };
  const minimalTarget: Target = { server: minimal, rows: new RowCounter(db, 'bench_minimal_submissions'), results: [] };
  await measure([serviceTarget, minimalTarget], nextBody, durationS, warmupS);
  await service.stop();
  await minimal.stop();
  log(`load average at the end ${loadAverage()} (${os.cpus().length} CPUs; other work on the machine makes the figures noisier)`);

  return report(serviceTarget.results, minimalTarget.results, service.peakRss, minimal.peakRss) ? 0 : 1;
});
