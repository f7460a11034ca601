/**
 * What a call costs a real Moodle 5.0.6 (PHP built-in server, 4 workers, 2 cores), fitted to
 * "Measured throughput" and "What each read costs" in docs/reference/moodle-grades-api.md:
 *
 * - every call ~18 ms before any work (site info ≈ 17 ms);
 * - the user grade report: 16 ms, then per reported student 0.83 ms + 1.43 ms per grade item of the
 *   course (402 students × 5 items ≈ 3.25 s, 2,000 × 2 ≈ 7.4 s, one user ≈ 37–42 ms);
 * - mod_assign_get_grades: 36 ms + 0.007 ms per enrolled student (≈ 57 ms at 402, ≈ 68 ms at 2,000);
 * - core_enrol_get_enrolled_users: 20 ms + 0.253 ms per enrolled user (≈ 140 ms at 402, ≈ 0.54 s at 2,000);
 * - core_user_get_users_by_field: 2 ms + 3.4 ms per value (1 ≈ 23 ms, 100 ≈ 360 ms);
 * - mod_assign_save_grade(s): 20 ms, then per grade 2.75 ms per grade item besides the course total
 *   (Moodle recomputes the course total): 100 grades ≈ 0.3 s with 2 items, ≈ 1.4 s with 6;
 *   one grade per call ≈ 46 ms (~20/s as measured);
 * - core_grades_update_grades: 7.5 ms per grade (1 per call ≈ 39/s, 100 per call ≈ 130/s);
 * - core_grades_get_gradeitems ≈ 24 ms; calls never measured (assignments, courses) 10 ms of work.
 *
 * The cost is CPU work: PhpServer runs it on a few workers sharing a few cores, so parallel calls
 * help as far as idle cores allow, and calls beyond the workers queue.
 */
export interface CostModel {
  overheadMs: number;
  reportSetupMs: number;
  reportPerStudentMs: number;
  reportPerStudentItemMs: number;
  assignGradesSetupMs: number;
  assignGradesPerStudentMs: number;
  enrolledSetupMs: number;
  enrolledPerUserMs: number;
  usersByFieldSetupMs: number;
  usersByFieldPerValueMs: number;
  assignSaveSetupMs: number;
  /** Per grade, per grade item of the course other than the course total (at least one). */
  assignSavePerGradeItemMs: number;
  updateGradesPerGradeMs: number;
  gradeItemsMs: number;
  /** Work of any other function. */
  otherMs: number;
}

export const MOODLE_COSTS: Readonly<CostModel> = Object.freeze({
  overheadMs: 18,
  reportSetupMs: 16,
  reportPerStudentMs: 0.83,
  reportPerStudentItemMs: 1.43,
  assignGradesSetupMs: 36,
  assignGradesPerStudentMs: 0.007,
  enrolledSetupMs: 20,
  enrolledPerUserMs: 0.253,
  usersByFieldSetupMs: 2,
  usersByFieldPerValueMs: 3.4,
  assignSaveSetupMs: 20,
  assignSavePerGradeItemMs: 2.75,
  updateGradesPerGradeMs: 7.5,
  gradeItemsMs: 6,
  otherMs: 10,
});

/** What a call's cost depends on, read from its parameters, the course and its answer. */
export interface CallFacts {
  /** Students the answer covers (report, enrolled users) or the course's enrolled users (assign grades). */
  students: number;
  /** Grade items of the call's course, the course total included. */
  gradeItems: number;
  /** Grades a write carries. */
  grades: number;
  /** Values of core_user_get_users_by_field. */
  values: number;
}

/** Milliseconds of server work for one call. */
export function callCostMs(wsfunction: string, facts: CallFacts, model: CostModel = MOODLE_COSTS): number {
  const m = model;
  const work = (() => {
    switch (wsfunction) {
      case 'core_webservice_get_site_info':
        return 0;
      case 'gradereport_user_get_grade_items':
        return m.reportSetupMs + facts.students * (m.reportPerStudentMs + m.reportPerStudentItemMs * facts.gradeItems);
      case 'mod_assign_get_grades':
        return m.assignGradesSetupMs + m.assignGradesPerStudentMs * facts.students;
      case 'core_enrol_get_enrolled_users':
        return m.enrolledSetupMs + m.enrolledPerUserMs * facts.students;
      case 'core_user_get_users_by_field':
        return m.usersByFieldSetupMs + m.usersByFieldPerValueMs * facts.values;
      case 'mod_assign_save_grades':
      case 'mod_assign_save_grade':
        return m.assignSaveSetupMs + facts.grades * m.assignSavePerGradeItemMs * Math.max(1, facts.gradeItems - 1);
      case 'core_grades_update_grades':
        return m.updateGradesPerGradeMs * facts.grades;
      case 'core_grades_get_gradeitems':
        return m.gradeItemsMs;
      default:
        return m.otherMs;
    }
  })();
  return m.overheadMs + work;
}

interface Job {
  remainingMs: number;
  done: () => void;
}

/**
 * A PHP server's capacity: `workers` calls run at once, later ones wait in order; the running calls
 * share `cores` CPUs, each progressing at min(1, cores / running) of real time.
 */
export class PhpServer {
  private readonly waiting: (() => void)[] = [];
  private readonly running = new Set<Job>();
  private busy = 0;
  private lastTickAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  maxBusySeen = 0;
  maxQueuedSeen = 0;
  /** Calls that had to wait for a worker. */
  queuedCalls = 0;

  constructor(
    readonly workers: number,
    readonly cores: number,
  ) {
    if (!(workers >= 1) || !(cores > 0)) throw new Error(`a PHP server needs ≥ 1 worker and > 0 cores (got ${workers}, ${cores})`);
  }

  get busyWorkers(): number {
    return this.busy;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for a free worker. Every acquire() needs one release(). */
  acquire(): Promise<void> {
    if (this.busy < this.workers) {
      this.take();
      return Promise.resolve();
    }
    this.queuedCalls += 1;
    return new Promise((resolve) => {
      this.waiting.push(() => {
        this.take();
        resolve();
      });
      this.maxQueuedSeen = Math.max(this.maxQueuedSeen, this.waiting.length);
    });
  }

  release(): void {
    this.busy -= 1;
    this.waiting.shift()?.();
  }

  /** Spends `workMs` of CPU time, shared with the other running calls. */
  work(workMs: number): Promise<void> {
    if (workMs <= 0) return Promise.resolve();
    this.advance();
    return new Promise((resolve) => {
      this.running.add({ remainingMs: workMs, done: resolve });
      this.schedule();
    });
  }

  /** Lets every queued and running call go at once (reset/close). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const job of this.running) job.done();
    this.running.clear();
    while (this.waiting.length > 0) this.waiting.shift()?.();
  }

  private take(): void {
    this.busy += 1;
    this.maxBusySeen = Math.max(this.maxBusySeen, this.busy);
  }

  private rate(): number {
    return Math.min(1, this.cores / Math.max(1, this.running.size));
  }

  private advance(): void {
    const now = Date.now();
    const progressed = (now - this.lastTickAt) * this.rate();
    this.lastTickAt = now;
    for (const job of this.running) job.remainingMs -= progressed;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running.size === 0) return;
    const next = Math.min(...[...this.running].map((j) => j.remainingMs));
    this.timer = setTimeout(() => this.onTick(), Math.max(0, Math.ceil(next / this.rate())));
  }

  private onTick(): void {
    this.timer = undefined;
    this.advance();
    for (const job of this.running) {
      if (job.remainingMs <= 0.5) {
        this.running.delete(job);
        job.done();
      }
    }
    this.schedule();
  }
}
