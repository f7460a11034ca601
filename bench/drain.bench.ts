/**
 * bench:drain — an exam-day burst: N callbacks for one grade item posted into a fresh service
 * (ROLE=all) whose Moodle (the simulator, in a process of its own) answers in 100 ms and admits
 * 10 calls per second. Measures the time from the first post until every sync is in a final state, and
 * compares it with the time batching makes possible.
 *
 *   npm run bench:drain           (BENCH_DRAIN_N=10000, BENCH_DRAIN_TARGET=activity|assign,
 *                                  BENCH_DRAIN_TIMEOUT_S=1800, BENCH_DRAIN_POST_CONCURRENCY=20)
 */
import os from 'node:os';
import { Client } from 'pg';
import type { SimCall } from '../test/moodle-simulator/types';
import { choiceFromEnv, describeCode, loadAverage, log, newRunId, numberFromEnv, settingsOrExit, sleep } from './lib/bench-env';
import { runBench } from './lib/cleanup';
import { createBenchStorage } from './lib/database';
import { callbackBody, configureGradeSync, LMS_COURSE_ID, TARGETS, TargetKind } from './lib/grade-sync-setup';
import { formatMb } from './lib/memory';
import { postCallbacks } from './lib/post-callbacks';
import { ChildServer, ensureBuilt } from './lib/processes';
import { startGradeSyncService } from './lib/grade-sync-service';
import { countSyncStates, formatStates, StateCounts } from './lib/sync-states';
import { SimulatorProcess } from './lib/simulator-process';
import { markdownTable, verdict } from './lib/table';

const LATENCY_MS = 100;
const PER_SECOND = 10;
const BATCH_SIZE = 100;
const FIRST_STUDENT_ID = 1000;
const TARGET_RATIO = 1.5;
const TARGET_RSS_MB = 300;
const WRITE_FUNCTIONS = ['core_grades_update_grades', 'mod_assign_save_grades', 'mod_assign_save_grade'];

const { N, target, timeoutS, postConcurrency } = settingsOrExit(() => ({
  N: Math.floor(numberFromEnv('BENCH_DRAIN_N', 10_000)),
  target: choiceFromEnv<TargetKind>('BENCH_DRAIN_TARGET', ['activity', 'assign'], 'activity'),
  timeoutS: numberFromEnv('BENCH_DRAIN_TIMEOUT_S', 1800),
  postConcurrency: Math.floor(numberFromEnv('BENCH_DRAIN_POST_CONCURRENCY', 20)),
}));

/** Grades in one write call: the `grades[i][studentid]` (activity) or `grades[i][userid]` (assign) fields. */
function gradesIn(call: SimCall): number {
  if (call.wsfunction === 'mod_assign_save_grade') return 1;
  return Object.keys(call.params).filter((k) => /^grades\[\d+\]\[(studentid|userid)\]$/.test(k)).length;
}

interface Bound {
  writes: number;
  reads: number;
  perCallMs: number;
  ms: number;
  writesOnlyMs: number;
}

/**
 * What batching makes possible: ceil(N/100) write calls, plus one roster read for the course and,
 * per batch, one read of the item's state before the write and one read-back after it. At 10
 * calls/s and 100 ms per answer each call costs max(100 ms, 1000/10 ms) = 100 ms.
 */
function batchingBound(n: number): Bound {
  const writes = Math.ceil(n / BATCH_SIZE);
  const reads = 1 + 2 * writes;
  const perCallMs = Math.max(LATENCY_MS, 1000 / PER_SECOND);
  return { writes, reads, perCallMs, ms: (writes + reads) * perCallMs, writesOnlyMs: writes * perCallMs };
}

/** Polls the syncs table until `expected` syncs are all final, or until `deadline`, or until the service dies. */
async function waitForDrain(db: Client, sim: SimulatorProcess, service: ChildServer, expected: number, startedAt: number, deadline: number): Promise<{ counts: StateCounts; doneAt: number | null }> {
  let lastLog = Date.now();
  for (;;) {
    const counts = await countSyncStates(db);
    if (counts.total >= expected && counts.open === 0) return { counts, doneAt: Date.now() };
    if (Date.now() >= deadline || service.unexpectedExit()) return { counts, doneAt: null };
    if (Date.now() - lastLog >= 15_000) {
      lastLog = Date.now();
      log(`${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${formatStates(counts)}; LMS calls so far ${await sim.callCount()}`);
    }
    await sleep(500);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

runBench('bench:drain', (timeoutS + 300) * 1000, async (cleanup) => {
  ensureBuilt();
  const runId = newRunId();
  log(`run ${runId}; code ${describeCode()}; N=${N}, target ${target}, Moodle ${LATENCY_MS} ms per answer, ${PER_SECOND} calls/s; load average ${loadAverage()}`);
  const storage = await createBenchStorage(runId, (name, run) => cleanup.add(name, run));
  const sim = await SimulatorProcess.start({ students: N, firstStudentId: FIRST_STUDENT_ID, courseId: LMS_COURSE_ID });
  cleanup.add('Moodle simulator', () => sim.close());
  const db = new Client({ connectionString: storage.databaseUrl });
  await db.connect();
  cleanup.add('PostgreSQL client', () => db.end());

  const { service, adminToken } = await startGradeSyncService(storage, 'all', cleanup);
  await configureGradeSync(service.baseUrl, adminToken, sim, target);

  await sim.configure(LATENCY_MS, PER_SECOND);

  const startedAt = Date.now();
  const deadline = startedAt + timeoutS * 1000;
  log(`posting ${N} callbacks (${postConcurrency} at a time)`);
  const posted = await postCallbacks(`${service.baseUrl}/speechace/callback`, N, postConcurrency, (i) => callbackBody(runId, i, FIRST_STUDENT_ID + i), {
    deadline,
    stop: () => service.unexpectedExit() !== null,
    progress: (n) => void sim.callCount().then((calls) => log(`${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${n} posted; LMS calls so far ${calls}`)),
  });
  log(`posted in ${seconds(posted.elapsedMs)}: ${JSON.stringify(posted.statuses)}; waiting for every sync to be final`);
  const { counts, doneAt } = await waitForDrain(db, sim, service, posted.accepted, startedAt, deadline);
  const drainMs = (doneAt ?? Date.now()) - startedAt;
  const died = service.unexpectedExit();
  await service.stop();
  log(`load average at the end ${loadAverage()} (${os.cpus().length} CPUs; other work on the machine makes the figures noisier)`);

  const calls: SimCall[] = await sim.calls();
  const byFunction = new Map<string, number>();
  for (const c of calls) byFunction.set(c.wsfunction, (byFunction.get(c.wsfunction) ?? 0) + 1);
  const writeCalls = calls.filter((c) => WRITE_FUNCTIONS.includes(c.wsfunction));
  const gradesPerWrite = writeCalls.map(gradesIn);
  const itemCmid = TARGETS[target].cmid;
  const gradesInMoodle = await sim.gradesHeld(itemCmid, Array.from({ length: N }, (_, i) => FIRST_STUDENT_ID + i));
  const bound = batchingBound(posted.accepted);
  const ratio = drainMs / bound.ms;

  console.log(`\nDrain of ${N} callbacks for one ${target} grade item (${TARGETS[target].type === 'activity' ? 'mod_lti' : 'assignment'}, cmid ${itemCmid})\n`);
  console.log(`  posted: ${posted.sent} of ${N} in ${seconds(posted.elapsedMs)} (${((posted.sent / posted.elapsedMs) * 1000).toFixed(0)}/s, ${postConcurrency} at a time); answers ${JSON.stringify(posted.statuses)}`);
  console.log(`  syncs: ${formatStates(counts)} (${counts.total} of ${posted.accepted} accepted)`);
  console.log(`  grades held by the Moodle simulator: ${gradesInMoodle} of ${N}`);
  if (died) console.log(`\n  THE SERVICE DIED DURING THE RUN: ${died}\n`);
  const notDrained = died ? `NOT DRAINED: the service died after ${seconds(drainMs)}` : `NOT DRAINED within ${timeoutS} s`;
  console.log(`  drain time (first post → every sync final): ${doneAt ? seconds(drainMs) : `${notDrained} (${counts.open} still open)`}`);
  if (doneAt) console.log(`    of which after the last post: ${seconds(drainMs - posted.elapsedMs)}`);
  console.log('\nLMS calls by function\n');
  console.log(markdownTable(['function', 'calls'], [...byFunction.entries()].sort((a, b) => b[1] - a[1]).concat([['total', calls.length]])));
  const faulted = calls.filter((c) => c.fault).length;
  if (faulted > 0) console.log(`  (${faulted} of them answered with a fault)`);
  console.log(
    `\n  grade-writing calls: ${writeCalls.length} (${WRITE_FUNCTIONS.join(', ')}); grades per call: ` +
      (writeCalls.length ? `avg ${(gradesPerWrite.reduce((a, b) => a + b, 0) / writeCalls.length).toFixed(1)}, max ${Math.max(...gradesPerWrite)}` : 'n/a'),
  );
  console.log(`  most web-service requests open at once: ${(await sim.stats()).maxConcurrentSeen}`);
  console.log('\nBatching bound');
  console.log(
    `  writes = ceil(${posted.accepted}/${BATCH_SIZE}) = ${bound.writes}; reads = 1 roster + 2 per batch (state before, read-back after) = ${bound.reads};\n` +
      `  each call costs max(${LATENCY_MS} ms latency, 1000/${PER_SECOND} ms rate slot) = ${bound.perCallMs} ms;\n` +
      `  bound = (${bound.writes} + ${bound.reads}) × ${bound.perCallMs} ms = ${seconds(bound.ms)} (writes alone: ${seconds(bound.writesOnlyMs)})`,
  );
  const atLeast = doneAt ? '' : '≥ ';
  console.log(`  drain / bound = ${atLeast}${ratio.toFixed(2)} (drain / writes-only bound = ${atLeast}${(drainMs / bound.writesOnlyMs).toFixed(2)})${doneAt ? '' : ' — not drained'}`);
  console.log(`\nPeak resident memory (VmHWM) of the service process (ROLE=all): ${formatMb(service.peakRss)}`);
  console.log('\nTargets');
  console.log(`  drain within ${TARGET_RATIO}× the batching bound: ${atLeast}${ratio.toFixed(2)}× → ${verdict(doneAt !== null && ratio <= TARGET_RATIO)}`);
  console.log(`  resident memory < ${TARGET_RSS_MB} MB: ${formatMb(service.peakRss)} → ${verdict(service.peakRss !== null && service.peakRss < TARGET_RSS_MB)}`);
  return doneAt ? 0 : died ? 1 : 3;
});
