import qs from 'qs';
import { callCostMs, MOODLE_COSTS, PhpServer, type CallFacts } from '../moodle-simulator/cost-model';
import { MoodleSimulator } from '../moodle-simulator/moodle-simulator';

/*
 * The simulator's cost model: its arithmetic against the figures measured on a real Moodle 5.0.6
 * (docs/reference/moodle-grades-api.md, "Measured throughput" and "What each read costs"), and the
 * PHP server's worker limit and shared cores, checked by order and counts, not by wall-clock time.
 */

const facts = (f: Partial<CallFacts>): CallFacts => ({ students: 0, gradeItems: 0, grades: 0, values: 0, ...f });

describe('callCostMs (fitted to the measured Moodle)', () => {
  it.each([
    ['site info ≈ 17 ms', 'core_webservice_get_site_info', facts({}), 17, 20],
    ['whole-course grade report, 402 students, 5 items: 3.1–3.4 s', 'gradereport_user_get_grade_items', facts({ students: 402, gradeItems: 5 }), 3100, 3400],
    ['whole-course grade report, 2,000 students, 2 items: 7.3–7.4 s', 'gradereport_user_get_grade_items', facts({ students: 2000, gradeItems: 2 }), 7300, 7450],
    ['grade report, one user of a 5-item course: 40–44 ms', 'gradereport_user_get_grade_items', facts({ students: 1, gradeItems: 5 }), 40, 44],
    ['grade report, one user of a 2-item course: 36–39 ms', 'gradereport_user_get_grade_items', facts({ students: 1, gradeItems: 2 }), 36, 39],
    ['mod_assign_get_grades, 402 students: 53–59 ms', 'mod_assign_get_grades', facts({ students: 402, gradeItems: 5 }), 53, 59],
    ['mod_assign_get_grades, 2,000 students: 60–70 ms', 'mod_assign_get_grades', facts({ students: 2000, gradeItems: 2 }), 60, 70],
    ['enrolled ids, 402: 110–170 ms', 'core_enrol_get_enrolled_users', facts({ students: 402 }), 110, 170],
    ['enrolled ids, 2,000: 0.52–0.57 s', 'core_enrol_get_enrolled_users', facts({ students: 2000 }), 520, 570],
    ['users by field, 100 values: 330–380 ms', 'core_user_get_users_by_field', facts({ values: 100 }), 330, 380],
    ['users by field, 1 value ≈ 23 ms', 'core_user_get_users_by_field', facts({ values: 1 }), 20, 26],
    ['mod_assign_save_grades, 100 grades, 2 items: 0.25–0.33 s', 'mod_assign_save_grades', facts({ grades: 100, gradeItems: 2 }), 250, 330],
    ['mod_assign_save_grades, 100 grades, 6 items ≈ 1.4 s', 'mod_assign_save_grades', facts({ grades: 100, gradeItems: 6 }), 1350, 1450],
    ['mod_assign_save_grade, 1 grade ≈ 20/s (≈ 50 ms)', 'mod_assign_save_grade', facts({ grades: 1, gradeItems: 4 }), 40, 55],
    ['core_grades_update_grades, 1 grade: 29–48/s', 'core_grades_update_grades', facts({ grades: 1 }), 1000 / 48, 1000 / 29],
    ['core_grades_update_grades, 100 grades: 123–195/s', 'core_grades_update_grades', facts({ grades: 100 }), 100_000 / 195, 100_000 / 123],
    ['core_grades_get_gradeitems: 23–25 ms', 'core_grades_get_gradeitems', facts({}), 23, 25],
  ])('%s', (_what, wsfunction, callFacts, min, max) => {
    const ms = callCostMs(wsfunction, callFacts);
    expect(ms).toBeGreaterThanOrEqual(min);
    expect(ms).toBeLessThanOrEqual(max);
  });

  it('is the overhead plus the work the model names', () => {
    expect(callCostMs('gradereport_user_get_grade_items', facts({ students: 10, gradeItems: 3 }))).toBeCloseTo(18 + 16 + 10 * (0.83 + 3 * 1.43), 6);
    expect(callCostMs('mod_assign_save_grades', facts({ grades: 10, gradeItems: 4 }))).toBeCloseTo(18 + 20 + 10 * 3 * 2.75, 6);
    expect(callCostMs('mod_assign_save_grades', facts({ grades: 10, gradeItems: 1 }))).toBeCloseTo(18 + 20 + 10 * 2.75, 6);
    expect(callCostMs('core_course_get_courses_by_field', facts({}))).toBe(18 + 10);
    expect(callCostMs('core_webservice_get_site_info', facts({}), { ...MOODLE_COSTS, overheadMs: 5 })).toBe(5);
  });
});

describe('PhpServer', () => {
  afterEach(() => jest.useRealTimers());

  it('runs at most `workers` calls and lets waiting calls in in arrival order', async () => {
    const php = new PhpServer(2, 2);
    const admitted: number[] = [];
    const calls = Array.from({ length: 5 }, (_, i) => php.acquire().then(() => admitted.push(i)));
    await Promise.resolve();
    expect({ busy: php.busyWorkers, queued: php.queued, admitted }).toEqual({ busy: 2, queued: 3, admitted: [0, 1] });
    php.release();
    await Promise.resolve();
    expect(admitted).toEqual([0, 1, 2]);
    php.release();
    php.release();
    await Promise.all(calls);
    expect(admitted).toEqual([0, 1, 2, 3, 4]);
    expect({ busy: php.busyWorkers, maxBusySeen: php.maxBusySeen, maxQueuedSeen: php.maxQueuedSeen, queuedCalls: php.queuedCalls }).toEqual({
      busy: 2,
      maxBusySeen: 2,
      maxQueuedSeen: 3,
      queuedCalls: 3,
    });
  });

  it('shares its cores: two 100 ms calls on one core both end at 200 ms, on two cores at 100 ms', async () => {
    jest.useFakeTimers({ now: 0 });
    const endsAt = async (cores: number) => {
      const start = Date.now();
      const php = new PhpServer(4, cores);
      const ends: number[] = [];
      const jobs = [php.work(100), php.work(100)].map((p) => p.then(() => ends.push(Date.now() - start)));
      await jest.advanceTimersByTimeAsync(99);
      const doneEarly = ends.length;
      await jest.advanceTimersByTimeAsync(300);
      await Promise.all(jobs);
      return { doneEarly, ends };
    };
    expect(await endsAt(2)).toEqual({ doneEarly: 0, ends: [100, 100] });
    const oneCore = await endsAt(1);
    expect(oneCore.doneEarly).toBe(0);
    expect(oneCore.ends).toEqual([200, 200]);
  });

  it('gives a late call the full core once the first one ends', async () => {
    jest.useFakeTimers({ now: 0 });
    const php = new PhpServer(4, 1);
    const ends: Record<string, number> = {};
    const a = php.work(100).then(() => (ends.a = Date.now()));
    await jest.advanceTimersByTimeAsync(50);
    const b = php.work(100).then(() => (ends.b = Date.now()));
    await jest.advanceTimersByTimeAsync(500);
    await Promise.all([a, b]);
    // a: 50 ms alone, then 50 ms of work at half speed → ends at 150; b: 50 ms of work by then, 50 more alone → 200.
    expect(ends).toEqual({ a: 150, b: 200 });
  });
});

describe('MoodleSimulator with the cost model', () => {
  let sim: MoodleSimulator;
  afterEach(async () => sim?.close());

  const ws = async (wsfunction: string, params: Record<string, unknown> = {}) => {
    const body = qs.stringify({ wstoken: sim.token, wsfunction, moodlewsrestformat: 'json', ...params }, { encodeValuesOnly: true });
    const res = await fetch(`${sim.baseUrl}/webservice/rest/server.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    return res.text();
  };

  it('is off by default', async () => {
    sim = await MoodleSimulator.start({ seed: 'recorded' });
    await ws('core_webservice_get_site_info');
    expect(sim.stats().cost).toBeNull();
  });

  it('queues calls beyond its workers and charges each call what the model says', async () => {
    // Long calls, so all six requests are in before the first two end, however busy the machine.
    sim = await MoodleSimulator.start({ seed: 'recorded', costModel: { workers: 2, cores: 2, costs: { overheadMs: 250 } } });
    await Promise.all(Array.from({ length: 6 }, () => ws('core_webservice_get_site_info')));
    expect(sim.stats().cost).toMatchObject({
      workers: 2,
      cores: 2,
      maxBusySeen: 2,
      maxQueuedSeen: 4,
      queuedCalls: 4,
      byFunction: { core_webservice_get_site_info: { calls: 6, workMs: 6 * 250 } },
    });
  });

  it('reads the facts of each call from its course, parameters and answer', async () => {
    sim = await MoodleSimulator.start({ seed: 'recorded', costModel: { costs: { overheadMs: 0, reportSetupMs: 0, assignSaveSetupMs: 0 } } });
    // The recorded course: students 4 and 5; items: course total and two assignments.
    await ws('gradereport_user_get_grade_items', { courseid: 2, userid: 0 });
    const grades = [4, 5].map((userid) => ({ userid, grade: 50, attemptnumber: -1, addattempt: 0, workflowstate: '', plugindata: {} }));
    expect(await ws('mod_assign_save_grades', { assignmentid: 1, applytoall: 0, grades })).toBe('null');
    const byFunction = sim.stats().cost?.byFunction;
    expect(byFunction?.gradereport_user_get_grade_items.workMs).toBeCloseTo(2 * (0.83 + 3 * 1.43), 6);
    expect(byFunction?.mod_assign_save_grades.workMs).toBeCloseTo(2 * 2 * 2.75, 6);
  });

  it('keeps the cost model across reset() and can be turned off', async () => {
    sim = await MoodleSimulator.start({ seed: 'recorded', costModel: true });
    await ws('core_webservice_get_site_info');
    sim.reset();
    expect(sim.stats().cost).toMatchObject({ workers: 4, cores: 2, byFunction: {} });
    sim.setCostModel(null);
    expect(sim.stats().cost).toBeNull();
  });
});
