/**
 * bench:drain — an exam-day burst: N callbacks posted into a fresh service (ROLE=all) whose Moodle
 * is the simulator, in a process of its own. By default the simulator costs what a real Moodle
 * 5.0.6 costs (test/moodle-simulator/cost-model.ts, 4 PHP workers sharing 2 cores); the bench
 * measures two times from the first post: until Moodle held every grade (the last grade-writing
 * call answered: what instructors see, the issue's measure) and until every sync is final (read
 * back and recorded: what our API shows). Then, in the same run and against the same simulator, a
 * direct push of the same grades in batches of 100, one call at a time, as a hand-written client
 * would; it prints each time / (posting + direct push).
 *
 *   npm run bench:drain   BENCH_DRAIN_N=400 (a course of N students; the spec's are 402 and 2,000),
 *                         BENCH_DRAIN_SHAPE=single|spread (spread: N students over 20 courses),
 *                         BENCH_DRAIN_TARGET=assign|activity, BENCH_DRAIN_GRADE_ITEMS (default 5
 *                         below 1,000 students per course, else 2, like the two measured courses),
 *                         BENCH_DRAIN_MOODLE=cost|flat (flat: every answer 100 ms, 10 calls/s, no
 *                         cost model, with the old batching bound), BENCH_DRAIN_PHP_WORKERS=4,
 *                         BENCH_DRAIN_PHP_CORES=2, BENCH_DRAIN_TIMEOUT_S=1800,
 *                         BENCH_DRAIN_POST_CONCURRENCY=20
 */
import os from 'node:os';
import { Client } from 'pg';
import type { SimCall, SimCostStats } from '../test/moodle-simulator/types';
import { choiceFromEnv, describeCode, loadAverage, log, newRunId, numberFromEnv, settingsOrExit, sleep } from './lib/bench-env';
import { runBench } from './lib/cleanup';
import { createBenchStorage } from './lib/database';
import { pushDirectly } from './lib/direct-push';
import { BenchCourse, drainLayout, DrainShape, studentOf } from './lib/drain-layout';
import { callbackBody, configureGradeSync, TargetKind } from './lib/grade-sync-setup';
import { formatMb, MemorySampler } from './lib/memory';
import { postCallbacks } from './lib/post-callbacks';
import { ChildServer, ensureBuilt } from './lib/processes';
import { startGradeSyncService } from './lib/grade-sync-service';
import { attemptCallsSize, attemptOutcomes, countSyncStates, formatStates, StateCounts } from './lib/sync-states';
import { SimulatorProcess } from './lib/simulator-process';
import { markdownTable, verdict } from './lib/table';

const FLAT_LATENCY_MS = 100;
const FLAT_PER_SECOND = 10;
const BATCH_SIZE = 100;
const TARGET_RATIO_COST = 1.2;
const TARGET_RATIO_FLAT = 1.5;
const TARGET_RSS_MB = 250;
const TIMELINE_MAX_CALLS = 80;
/** How often the bench looks whether the drain is over: the drain time is at most this late. */
const DRAIN_POLL_MS = 100;
/** What the service writes for the bench callbacks: overall 7.2 on 0–9 → 80 on the item's 0–100. */
const EXPECTED_GRADE = 80;
const WRITE_FUNCTIONS = ['core_grades_update_grades', 'mod_assign_save_grades', 'mod_assign_save_grade'];

const settings = settingsOrExit(() => ({
  N: Math.floor(numberFromEnv('BENCH_DRAIN_N', 400)),
  shape: choiceFromEnv<DrainShape>('BENCH_DRAIN_SHAPE', ['single', 'spread'], 'single'),
  target: choiceFromEnv<TargetKind>('BENCH_DRAIN_TARGET', ['assign', 'activity'], 'assign'),
  gradeItems: process.env.BENCH_DRAIN_GRADE_ITEMS ? Math.max(1, Math.floor(numberFromEnv('BENCH_DRAIN_GRADE_ITEMS', 2))) : undefined,
  moodle: choiceFromEnv<'cost' | 'flat'>('BENCH_DRAIN_MOODLE', ['cost', 'flat'], 'cost'),
  workers: Math.floor(numberFromEnv('BENCH_DRAIN_PHP_WORKERS', 4)),
  cores: numberFromEnv('BENCH_DRAIN_PHP_CORES', 2),
  timeoutS: numberFromEnv('BENCH_DRAIN_TIMEOUT_S', 1800),
  postConcurrency: Math.floor(numberFromEnv('BENCH_DRAIN_POST_CONCURRENCY', 20)),
}));
const { N, shape, target, moodle, timeoutS, postConcurrency } = settings;

/** Grades in one write call: the `grades[i][studentid]` (activity) or `grades[i][userid]` (assign) fields. */
function gradesIn(call: SimCall): number {
  if (call.wsfunction === 'mod_assign_save_grade') return 1;
  return Object.keys(call.params).filter((k) => /^grades\[\d+\]\[(studentid|userid)\]$/.test(k)).length;
}

/**
 * Flat mode only: ceil(N/100) writes, one roster read, and per batch a read before and a
 * read-back after, each call costing max(100 ms, 1000/10 ms) = 100 ms.
 */
function flatBatchingBoundMs(n: number): number {
  const writes = Math.ceil(n / BATCH_SIZE);
  return (writes + 1 + 2 * writes) * Math.max(FLAT_LATENCY_MS, 1000 / FLAT_PER_SECOND);
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
    await sleep(DRAIN_POLL_MS);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describeLayout(layout: BenchCourse[]): string {
  const c = layout[0]!;
  const item = target === 'assign' ? 'assignment' : 'mod_lti activity';
  return layout.length === 1
    ? `one course of ${c.students} students with ${c.gradeItems} grade items (the course total included), one ${item}`
    : `${layout.length} courses of ${c.students} students, ${c.gradeItems} grade items each, one ${item} per course`;
}

/** Calls and modelled server work by function, dearest first. */
function callsTable(calls: SimCall[], cost: SimCostStats | null | undefined): string {
  const byFunction = new Map<string, number>();
  for (const c of calls) byFunction.set(c.wsfunction, (byFunction.get(c.wsfunction) ?? 0) + 1);
  const work = (fn: string) => cost?.byFunction[fn]?.workMs ?? 0;
  const rows = [...byFunction.entries()].sort((a, b) => work(b[0]) - work(a[0]) || b[1] - a[1]);
  const totalWork = rows.reduce((sum, [fn]) => sum + work(fn), 0);
  if (!cost) return markdownTable(['function', 'calls'], [...rows, ['total', calls.length]]);
  return markdownTable(
    ['function', 'calls', 'modelled server work', 'share'],
    [
      ...rows.map(([fn, n]) => [fn, n, seconds(work(fn)), `${((100 * work(fn)) / Math.max(1, totalWork)).toFixed(0)} %`]),
      ['total', calls.length, seconds(totalWork), '100 %'],
    ],
  );
}

runBench('bench:drain', (timeoutS + 600) * 1000, async (cleanup) => {
  ensureBuilt();
  const runId = newRunId();
  const layout = drainLayout(N, shape, target, settings.gradeItems);
  const moodleText =
    moodle === 'cost'
      ? `cost-model Moodle (${settings.workers} PHP workers, ${settings.cores} cores)`
      : `flat Moodle (${FLAT_LATENCY_MS} ms per answer, ${FLAT_PER_SECOND} calls/s)`;
  log(`run ${runId}; code ${describeCode()}; N=${N}: ${describeLayout(layout)}; ${moodleText}; load average ${loadAverage()}`);
  const storage = await createBenchStorage(runId, (name, run) => cleanup.add(name, run));
  const sim = await SimulatorProcess.start({ layout });
  cleanup.add('Moodle simulator', () => sim.close());
  const simMemory = sim.pid === undefined ? null : new MemorySampler(sim.pid);
  const db = new Client({ connectionString: storage.databaseUrl });
  await db.connect();
  cleanup.add('PostgreSQL client', () => db.end());

  const { service, adminToken } = await startGradeSyncService(storage, 'all', cleanup);
  let connectionId: string | undefined;
  for (const course of layout) {
    const configured = await configureGradeSync(service.baseUrl, adminToken, sim, target, {
      speechaceCourseId: course.speechaceCourseId,
      lmsCourseId: course.courseId,
      instance: course.instance,
      cmid: course.cmid,
      connectionId,
    });
    connectionId = configured.connectionId;
  }

  if (moodle === 'cost') await sim.useCostModel(settings.workers, settings.cores);
  else await sim.configure(FLAT_LATENCY_MS, FLAT_PER_SECOND);

  const startedAt = Date.now();
  const deadline = startedAt + timeoutS * 1000;
  log(`posting ${N} callbacks (${postConcurrency} at a time)`);
  const body = (i: number) => {
    const { course, userId } = studentOf(layout, i);
    return callbackBody(runId, i, userId, course.speechaceCourseId);
  };
  const posted = await postCallbacks(`${service.baseUrl}/speechace/callback`, N, postConcurrency, body, {
    deadline,
    stop: () => service.unexpectedExit() !== null,
    progress: (n) => void sim.callCount().then((calls) => log(`${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${n} posted; LMS calls so far ${calls}`)),
  });
  log(`posted in ${seconds(posted.elapsedMs)}: ${JSON.stringify(posted.statuses)}; waiting for every sync to be final`);
  const { counts, doneAt } = await waitForDrain(db, sim, service, posted.accepted, startedAt, deadline);
  const drainMs = (doneAt ?? Date.now()) - startedAt;
  const died = service.unexpectedExit();
  await service.stop();
  const recorded = await attemptCallsSize(db);
  const outcomes = await attemptOutcomes(db);

  const calls: SimCall[] = await sim.calls();
  const drainStats = await sim.stats();
  const writeCalls = calls.filter((c) => WRITE_FUNCTIONS.includes(c.wsfunction));
  const gradesPerWrite = writeCalls.map(gradesIn);
  // When Moodle held every grade: the last grade-writing call answered (what instructors see).
  const lastWriteAnsweredAt = Math.max(...writeCalls.map((c) => c.answeredAt ?? 0));
  let gradesInMoodle = 0;
  for (const course of layout) {
    gradesInMoodle += await sim.gradesHeld(course.cmid, Array.from({ length: course.students }, (_, i) => course.firstStudentId + i));
  }
  const inMoodleMs = gradesInMoodle === N && writeCalls.length > 0 ? lastWriteAnsweredAt - startedAt : null;

  // The same grades again, straight to the same simulator (its counts restarted, the same settings).
  if (moodle === 'cost') await sim.useCostModel(settings.workers, settings.cores);
  else await sim.configure(FLAT_LATENCY_MS, FLAT_PER_SECOND);
  log(`direct push of the same ${N} grades in batches of ${BATCH_SIZE}, one call at a time`);
  const direct = await pushDirectly(sim, layout, EXPECTED_GRADE);
  const directCalls = await sim.calls();
  const simPeakMb = simMemory?.stop() ?? null;
  const benchPeakMb = process.resourceUsage().maxRSS / 1024;
  log(`load average at the end ${loadAverage()} (${os.cpus().length} CPUs; other work on the machine makes the figures noisier)`);

  const baselineMs = posted.elapsedMs + direct.elapsedMs;
  const ratio = drainMs / baselineMs;
  const atLeast = doneAt ? '' : '≥ ';

  console.log(`\nDrain of ${N} callbacks: ${describeLayout(layout)}; ${moodleText}\n`);
  console.log(`  posted: ${posted.sent} of ${N} in ${seconds(posted.elapsedMs)} (${((posted.sent / posted.elapsedMs) * 1000).toFixed(0)}/s, ${postConcurrency} at a time); answers ${JSON.stringify(posted.statuses)}`);
  console.log(`  syncs: ${formatStates(counts)} (${counts.total} of ${posted.accepted} accepted)`);
  console.log(`  grades held by the Moodle simulator: ${gradesInMoodle} of ${N}`);
  console.log(`  attempts recorded: ${recorded.attempts}; their LMS calls ${formatMb(recorded.bytes / 1024 / 1024)} of JSON (${(recorded.bytes / Math.max(1, recorded.attempts) / 1024).toFixed(1)} KB per attempt)`);
  console.log(`  attempts by outcome: ${outcomes}`);
  if (died) console.log(`\n  THE SERVICE DIED DURING THE RUN: ${died}\n`);
  const notDrained = died ? `NOT DRAINED: the service died after ${seconds(drainMs)}` : `NOT DRAINED within ${timeoutS} s`;
  console.log(`  drain time (first post → every sync final): ${doneAt ? seconds(drainMs) : `${notDrained} (${counts.open} still open)`}`);
  if (doneAt) console.log(`    of which after the last post: ${seconds(drainMs - posted.elapsedMs)}`);
  console.log(
    `  direct push (same grades, same simulator, ${direct.calls} calls of ≤ ${BATCH_SIZE}, one at a time): ${seconds(direct.elapsedMs)}` +
      (direct.failed ? ` — ${direct.failed} calls did not answer success, the first: ${direct.firstFailure}` : ''),
  );
  console.log(`  drain / (posting + direct push) = ${seconds(drainMs)} / (${seconds(posted.elapsedMs)} + ${seconds(direct.elapsedMs)}) = ${atLeast}${ratio.toFixed(2)}`);
  if (inMoodleMs !== null) {
    console.log(`  grades in Moodle (first post → the last grade-writing call answered): ${seconds(inMoodleMs)}; / (posting + direct push) = ${(inMoodleMs / baselineMs).toFixed(2)}`);
  }
  console.log('\nLMS calls the drain made, by function' + (drainStats.cost ? ' (modelled server work: CPU time on the PHP workers, before any queueing)' : '') + '\n');
  console.log(callsTable(calls, drainStats.cost));
  const faulted = calls.filter((c) => c.fault).length;
  if (faulted > 0) console.log(`  (${faulted} of them answered with a fault)`);
  console.log(
    `\n  grade-writing calls: ${writeCalls.length}; grades per call: ` +
      (writeCalls.length ? `avg ${(gradesPerWrite.reduce((a, b) => a + b, 0) / writeCalls.length).toFixed(1)}, max ${Math.max(...gradesPerWrite)}` : 'n/a'),
  );
  console.log(`  most web-service requests open at once: ${drainStats.maxConcurrentSeen}`);
  if (drainStats.cost) {
    const c = drainStats.cost;
    console.log(`  PHP workers: ${c.maxBusySeen} of ${c.workers} busy at most; ${c.queuedCalls} calls waited for a worker (at most ${c.maxQueuedSeen} at once)`);
  }
  if (calls.length <= TIMELINE_MAX_CALLS) {
    console.log('\n  when each call of the drain started (after the first post):');
    for (const c of calls) {
      const grades = WRITE_FUNCTIONS.includes(c.wsfunction) ? ` (${gradesIn(c)} grades)` : c.params.userid !== undefined ? ` (userid ${c.params.userid})` : '';
      const answered = c.answeredAt ? `–${((c.answeredAt - startedAt) / 1000).toFixed(1)}` : '';
      console.log(`    +${((c.at - startedAt) / 1000).toFixed(1).padStart(5)}${answered.padEnd(6)} s ${c.wsfunction}${grades}`);
    }
  }
  console.log(`\nThe direct push's calls: ${directCalls.length} (${[...new Set(directCalls.map((c) => c.wsfunction))].join(', ')})`);
  if (moodle === 'flat') {
    const boundMs = flatBatchingBoundMs(posted.accepted);
    console.log(`  flat batching bound (writes + 1 roster read + 2 reads per batch, 100 ms each): ${seconds(boundMs)}; drain / bound = ${atLeast}${(drainMs / boundMs).toFixed(2)}`);
  }
  console.log('\nPeak resident memory (VmHWM) per process');
  console.log(`  service (ROLE=all): ${formatMb(service.peakRss)}; Moodle simulator: ${formatMb(simPeakMb)}; bench (posting, direct push): ${formatMb(benchPeakMb)}`);
  console.log('\nTargets');
  if (moodle === 'cost') {
    const inMoodleRatio = inMoodleMs === null ? null : inMoodleMs / baselineMs;
    console.log(
      `  grades in Moodle within ${TARGET_RATIO_COST}× (posting + direct push): ` +
        (inMoodleRatio === null ? `not every grade reached Moodle → ${verdict(false)}` : `${inMoodleRatio.toFixed(2)}× → ${verdict(inMoodleRatio <= TARGET_RATIO_COST)}`),
    );
    console.log(`  every sync final (read back) within ${TARGET_RATIO_COST}× (posting + direct push): ${atLeast}${ratio.toFixed(2)}× → ${verdict(doneAt !== null && ratio <= TARGET_RATIO_COST)}`);
  } else {
    const boundRatio = drainMs / flatBatchingBoundMs(posted.accepted);
    console.log(`  drain within ${TARGET_RATIO_FLAT}× the flat batching bound: ${atLeast}${boundRatio.toFixed(2)}× → ${verdict(doneAt !== null && boundRatio <= TARGET_RATIO_FLAT)}`);
  }
  console.log(`  service resident memory < ${TARGET_RSS_MB} MB: ${formatMb(service.peakRss)} → ${verdict(service.peakRss !== null && service.peakRss < TARGET_RSS_MB)}`);
  return doneAt ? 0 : died ? 1 : 3;
});
