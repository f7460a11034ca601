import { randomBytes } from 'node:crypto';
import http, { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { callCostMs, MOODLE_COSTS, PhpServer, type CallFacts, type CostModel } from './cost-model';
import { phpJsonEncode, xmlEncodeError, xmlEncodeResult } from './encode';
import { functionNotAllowedDebugInfo, MoodleWsError, wsErrors } from './errors';
import { Admission, FaultQueue, type RateLimit, type SimFault } from './faults';
import { DEFAULT_SERVICE_FUNCTIONS, HANDLERS, KNOWN_FUNCTIONS, type WsContext } from './handlers';
import { shippedRoleCapabilities } from './role';
import { seedRecorded } from './seeds';
import { SimState, type EnrolRole, type SimGradeItem, type SimUser } from './state';
import type {
  AddActivityInput,
  AddAssignmentInput,
  AddGradeItemInput,
  AddUserInput,
  SimCall,
  SimCostOptions,
  SimCostStats,
  SimGrade,
  SimGradeType,
  SimSeed,
  SimStartOptions,
  SimStats,
  TokenState,
} from './types';

export type { RateLimit, SimFault } from './faults';
export type { EnrolRole } from './state';
export type * from './types';
export { callCostMs, MOODLE_COSTS, PhpServer } from './cost-model';
export type { CallFacts, CostModel } from './cost-model';

/**
 * In-memory, HTTP-level simulator of Moodle 5.0.6's REST web services for grades.
 *
 * POST (or GET) {baseUrl}/webservice/rest/server.php with wstoken, wsfunction and the function's
 * PHP-nested form parameters. Answers are byte-compatible with the recorded ones
 * (test/fixtures/spec/moodle-recorded.json): errors are HTTP 200 JSON bodies, writes
 * answer bare `0`/`1`/`2`/`4` or `null`. With moodlewsrestformat=json the body is JSON; without
 * it Moodle's REST XML (structure-faithful, not byte-checked against a real server).
 */

type Answer = { ok: true; value: unknown } | { ok: false; error: MoodleWsError };

const DEFAULT_TOKEN_USER: AddUserInput = {
  id: 3,
  username: 'gradesync',
  email: 'gradesync@example.com',
  firstname: 'Grade',
  lastname: 'Sync',
};
const QS_OPTIONS = { arrayLimit: 100_000, depth: 20, parameterLimit: 1_000_000, duplicates: 'last' as const };
const HTML = 'text/html; charset=utf-8';
const NOT_FOUND_HTML =
  '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>' +
  '<p>The requested URL was not found on this server.</p></body></html>';
const PHP_FATAL_HTML =
  '<!DOCTYPE html><html><head><title>Error</title></head><body><br />\n<b>Fatal error</b>: ' +
  'Allowed memory size of 134217728 bytes exhausted in <b>/var/www/moodle/lib/dml/moodle_database.php</b> ' +
  'on line <b>1234</b><br />\n</body></html>';
const DOWN_HTML =
  '<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1>' +
  '<p>The server is temporarily unable to service your request.</p></body></html>';

const DEFAULT_SCALE = ['Not yet competent', 'Competent', 'Highly competent'];
const GRADE_TYPES = { none: 0, value: 1, scale: 2, text: 3 } as const;

function gradeTypeOf(type: SimGradeType | undefined, scale: { items: string[] } | undefined): Pick<SimGradeItem, 'gradetype' | 'scaleItems'> {
  const gradetype = GRADE_TYPES[type ?? 'value'];
  return gradetype === 2 ? { gradetype, scaleItems: scale?.items ?? DEFAULT_SCALE } : { gradetype };
}

function flatFields(encoded: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(encoded));
}

function sendRaw(res: http.ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export class MoodleSimulator {
  readonly token: string;
  readonly baseUrl: string;

  private state = new SimState();
  private tokenState: TokenState | 'deleted' = 'valid';
  private tokenUserId = DEFAULT_TOKEN_USER.id;
  private serviceFunctions: string[] = [...DEFAULT_SERVICE_FUNCTIONS];
  /** What the token user's role allows (default: docs/moodle/grade-sync-role.xml). */
  private readonly capabilities = new Set<string>(shippedRoleCapabilities());
  private debug = false;
  private userPrivateAccessKey = randomBytes(16).toString('hex');

  private readonly faults = new FaultQueue();
  /** Changes to make once, right after the next successful call of a function (see afterNextCall). */
  private afterCalls: { wsfunction: string; change: () => void }[] = [];
  private readonly admission = new Admission();
  private down = false;
  private latencyMs = 0;
  private callLog: SimCall[] = [];
  private totalCalls = 0;
  private inFlight = 0;
  private maxConcurrentSeen = 0;
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly sleepers = new Set<() => void>();
  private readonly bugs: Error[] = [];
  private php: PhpServer | null = null;
  private costs: CostModel = MOODLE_COSTS;
  private costByFunction = new Map<string, { calls: number; workMs: number }>();

  private constructor(
    private readonly server: http.Server,
    baseUrl: string,
    token: string,
    private readonly seed: SimSeed,
    private readonly controlApi: boolean,
  ) {
    this.baseUrl = baseUrl;
    this.token = token;
  }

  static async start(opts: SimStartOptions = {}): Promise<MoodleSimulator> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const sim = new MoodleSimulator(
      server,
      `http://127.0.0.1:${port}`,
      opts.token ?? randomBytes(16).toString('hex'),
      opts.seed ?? 'empty',
      opts.controlApi ?? false,
    );
    server.on('request', (req, res) => void sim.onRequest(req, res));
    if (opts.costModel) sim.setCostModel(opts.costModel === true ? {} : opts.costModel);
    sim.reset();
    return sim;
  }

  /** Stops the server; hung and queued calls are dropped (their sockets destroyed). */
  async close(): Promise<void> {
    this.releaseWaiters();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Back to the start state: all data, token state, service functions, capabilities, faults,
   * latency, rate limit, calls and stats are cleared, then the start seed is applied again.
   */
  reset(): void {
    this.releaseWaiters();
    this.state = new SimState();
    this.tokenState = 'valid';
    this.serviceFunctions = [...DEFAULT_SERVICE_FUNCTIONS];
    this.setCapabilities(shippedRoleCapabilities());
    this.debug = false;
    this.faults.clear();
    this.afterCalls = [];
    this.down = false;
    this.latencyMs = 0;
    this.admission.configure(null);
    this.admission.maxActiveSeen = this.admission.active;
    this.callLog = [];
    this.totalCalls = 0;
    this.maxConcurrentSeen = this.inFlight;
    this.bugs.length = 0;
    this.setTokenUser(DEFAULT_TOKEN_USER);
    if (this.seed === 'recorded') seedRecorded(this);
    else if (typeof this.seed === 'function') this.seed(this);
  }

  // ---- token, service, rights ------------------------------------------------------------

  setTokenState(state: TokenState): void {
    this.tokenState = state;
  }

  /** Makes (or replaces) the user the token belongs to. Default: id 3 "gradesync", not enrolled. */
  setTokenUser(user: AddUserInput): void {
    this.addUser(user);
    this.tokenUserId = user.id;
  }

  /** Removes a function from the token's service (calls then get accessexception). */
  denyFunction(name: string): void {
    this.serviceFunctions = this.serviceFunctions.filter((f) => f !== name);
  }

  allowFunction(name: string): void {
    if (!this.serviceFunctions.includes(name)) this.serviceFunctions.push(name);
  }

  /** The token's service holds exactly these functions. */
  allowOnly(names: readonly string[]): void {
    this.serviceFunctions = [...names];
  }

  /**
   * Takes a capability from the token user's role; each function then refuses as Moodle does
   * (nopermissions naming its display name, requireloginerror, or silently less data).
   */
  revokeCapability(capability: string): void {
    this.capabilities.delete(capability);
  }

  grantCapability(capability: string): void {
    this.capabilities.add(capability);
  }

  /** The token user's role allows exactly these (reset() restores the shipped role). */
  setCapabilities(capabilities: readonly string[]): void {
    this.capabilities.clear();
    for (const c of capabilities) this.capabilities.add(c);
  }

  get heldCapabilities(): string[] {
    return [...this.capabilities].sort();
  }

  /** Site debugging on: error bodies carry `debuginfo`, as recorded in cases 4.D*. */
  setDebug(on: boolean): void {
    this.debug = on;
  }

  // ---- seeding ---------------------------------------------------------------------------

  addUser(user: AddUserInput): void {
    this.state.addUser({
      id: user.id,
      username: user.username,
      email: user.email,
      idnumber: user.idnumber ?? '',
      firstname: user.firstname ?? 'User',
      lastname: user.lastname ?? String(user.id),
      suspended: user.suspended ?? false,
    });
  }

  /** Also creates the course total grade item (itemtype 'course'). */
  addCourse(course: { id: number; shortname?: string; fullname?: string; idnumber?: string; timemodified?: number; visible?: boolean }): void {
    this.state.addCourse({
      id: course.id,
      shortname: course.shortname ?? `C${course.id}`,
      fullname: course.fullname ?? `Course ${course.id}`,
      idnumber: course.idnumber ?? '',
      timemodified: course.timemodified,
      visible: course.visible,
    });
  }

  /** Hides a course or an activity (by cmid) from students, as a teacher can. */
  setVisible(what: { courseId: number } | { cmid: number }, visible: boolean): void {
    if ('courseId' in what) this.state.requireCourse(what.courseId).visible = visible;
    else {
      const cm = this.state.cms.get(what.cmid);
      if (!cm) throw new Error(`course module ${what.cmid} does not exist`);
      cm.visible = visible;
    }
  }

  enrol(courseId: number, userId: number, opts: { role?: EnrolRole; suspended?: boolean } = {}): void {
    this.state.enrol(courseId, userId, opts.role ?? 'student', opts.suspended ?? false);
  }

  /** An assign instance, its course module and its grade item (mod/assign/{id}/0). */
  addAssignment(a: AddAssignmentInput): { gradeItemId: number } {
    const type = gradeTypeOf(a.gradeType, a.scale);
    const assignment = this.state.addAssignment(
      {
        id: a.id,
        cmid: a.cmid,
        courseId: a.courseId,
        name: a.name ?? `Assignment ${a.id}`,
        intro: a.intro ?? '',
        // assign.grade: the maximum for points, minus the scale id for a scale, 0 for none.
        grade: a.gradeType === 'scale' ? -(a.scale?.id ?? 1) : a.gradeType === 'none' ? 0 : (a.grademax ?? 100),
        feedbackComments: a.feedbackComments ?? false,
        gradeItemId: a.gradeItemId,
        timemodified: a.timemodified ?? this.state.now(),
      },
      a.grademin ?? 0,
      type,
    );
    return { gradeItemId: assignment.gradeItemId };
  }

  /** Any other graded activity (e.g. mod_lti) whose item is fed from outside. */
  addActivity(a: AddActivityInput): { gradeItemId: number } {
    const module = a.component.replace(/^mod_/, '');
    const cm = this.state.cms.get(a.cmid);
    if (!cm) this.state.addCourseModule({ cmid: a.cmid, courseId: a.courseId, module, instance: a.instance });
    else if (cm.module !== module || cm.instance !== a.instance) throw new Error(`cmid ${a.cmid} is another activity`);
    const item = this.state.addGradeItem({
      id: a.gradeItemId,
      courseId: a.courseId,
      itemtype: 'mod',
      itemmodule: module,
      iteminstance: a.instance,
      itemnumber: a.itemnumber ?? 0,
      itemname: a.name ?? null,
      ...gradeTypeOf(a.gradeType, a.scale),
      grademin: a.gradeType === 'scale' ? 1 : (a.grademin ?? 0),
      grademax: a.gradeType === 'scale' ? (a.scale?.items ?? DEFAULT_SCALE).length : (a.grademax ?? 100),
    });
    return { gradeItemId: item.id };
  }

  /** A raw grade item, e.g. a manual item or a duplicate itemnumber (→ answer 2). */
  addGradeItem(input: AddGradeItemInput): { gradeItemId: number } {
    this.state.requireCourse(input.courseId);
    const item = this.state.addGradeItem({ itemtype: 'mod', ...input });
    return { gradeItemId: item.id };
  }

  /** Unlocking an assignment's item makes Moodle re-push the assignment's grades to it. */
  lockItem(gradeItemId: number, locked = true): void {
    this.state.setItemLocked(gradeItemId, locked);
  }

  lockGrade(gradeItemId: number, userId: number, locked = true): void {
    this.state.setGradeLocked(gradeItemId, userId, locked);
  }

  /** A teacher's override of the final grade; `null` removes it (the activity's grade comes back). */
  overrideGrade(gradeItemId: number, userId: number, value: number | null, feedback?: string): void {
    this.state.setOverride(gradeItemId, userId, value, feedback);
  }

  /** Writes a raw gradebook grade directly (locks ignored). */
  setGrade(gradeItemId: number, userId: number, raw: number | null): void {
    this.state.forceRawGrade(gradeItemId, userId, raw);
  }

  /** A teacher grading on the assignment page (grade and comment), pushed to the gradebook. */
  setAssignGrade(assignmentId: number, userId: number, grade: number | null, comment?: string): void {
    const assignment = this.state.assignments.get(assignmentId);
    if (!assignment) throw new Error(`assignment ${assignmentId} does not exist`);
    this.state.forceAssignGrade(assignment, userId, grade, comment);
  }

  // ---- reading state ---------------------------------------------------------------------

  /** The grade item of a course module (throws if there is none). */
  gradeItemIdFor(cmid: number, itemnumber = 0): number {
    const item = this.state.itemForCm(cmid, itemnumber);
    if (!item) throw new Error(`no grade item for cmid ${cmid} itemnumber ${itemnumber}`);
    return item.id;
  }

  gradeOf(item: number | { cmid: number; itemnumber?: number }, userId: number): SimGrade {
    const found: SimGradeItem | undefined =
      typeof item === 'number' ? this.state.items.get(item) : this.state.itemForCm(item.cmid, item.itemnumber ?? 0);
    if (!found) throw new Error(`no grade item for ${JSON.stringify(item)}`);
    const row = this.state.gradeRow(found.id, userId);
    return {
      raw: row?.rawgrade ?? null,
      final: row?.finalgrade ?? null,
      feedback: row?.feedback ?? null,
      locked: found.locked || Boolean(row?.locked),
      overridden: Boolean(row?.overridden),
    };
  }

  /** The assignment's own grade (grading page); null when absent or "-1" (not graded). */
  assignGradeOf(assignmentId: number, userId: number): number | null {
    const row = this.state.assignGrade(assignmentId, userId);
    return row && row.grade >= 0 ? row.grade : null;
  }

  assignFeedbackOf(assignmentId: number, userId: number): string | null {
    return this.state.assignComment(assignmentId, userId)?.text ?? null;
  }

  /** "Feedback available" notifications queued for the student by mod_assign_save_grade(s). */
  notificationsFor(assignmentId: number, userId: number): number {
    return this.state.notificationCount(assignmentId, userId);
  }

  get calls(): readonly SimCall[] {
    return this.callLog;
  }

  callsTo(wsfunction: string): SimCall[] {
    return this.callLog.filter((c) => c.wsfunction === wsfunction);
  }

  clearCalls(): void {
    this.callLog = [];
  }

  /** Unexpected exceptions inside the simulator (answered as errorcode "simulatorerror"). */
  get internalErrors(): readonly Error[] {
    return this.bugs;
  }

  // ---- faults and capacity ---------------------------------------------------------------

  /** The next `count` calls (to `wsfunction` only, if given) get `fault` and write nothing. */
  failNext(count: number, fault: SimFault, opts: { wsfunction?: string } = {}): void {
    this.faults.add(count, fault, opts.wsfunction);
  }

  /**
   * Every grade write that reaches this student's entry throws `errorcode` (null: no more); the
   * entries before it in the same call are written, as in Moodle, which has no transaction there.
   */
  failWritesFor(userId: number, errorcode: string | null, exception = 'core\\exception\\moodle_exception'): void {
    if (errorcode === null) this.state.writeFaults.delete(userId);
    else this.state.writeFaults.set(userId, new MoodleWsError(exception, errorcode, `Simulated failure writing the grade of user ${userId}`));
  }

  clearFaults(): void {
    this.faults.clear();
    this.afterCalls = [];
  }

  /**
   * Runs `change` (say, a teacher's override) once, right after the next call of `wsfunction` has
   * done its work and before it answers: something that happens in Moodle between two calls of a client.
   */
  afterNextCall(wsfunction: string, change: () => void): void {
    this.afterCalls.push({ wsfunction, change });
  }

  /** While down, every web-service call answers 503 with an HTML page. */
  setDown(down: boolean): void {
    this.down = down;
  }

  /** Every answer waits this long after the call was processed (writes are already done). */
  setLatencyMs(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  setRateLimit(limit: RateLimit | null): void {
    this.admission.configure(limit);
  }

  /**
   * Answers cost what they cost a real Moodle (cost-model.ts), on `workers` PHP workers sharing
   * `cores` CPUs; null turns it off. Kept by reset(), like the start options; its stats restart.
   */
  setCostModel(opts: SimCostOptions | null): void {
    this.php?.flush();
    this.php = opts ? new PhpServer(opts.workers ?? 4, opts.cores ?? 2) : null;
    this.costs = { ...MOODLE_COSTS, ...opts?.costs };
    this.costByFunction = new Map();
  }

  stats(): SimStats {
    return {
      calls: this.totalCalls,
      maxConcurrentSeen: this.maxConcurrentSeen,
      maxActiveSeen: this.admission.maxActiveSeen,
      queued: this.admission.queued,
      cost: this.costStats(),
    };
  }

  private costStats(): SimCostStats | null {
    if (!this.php) return null;
    return {
      workers: this.php.workers,
      cores: this.php.cores,
      maxBusySeen: this.php.maxBusySeen,
      maxQueuedSeen: this.php.maxQueuedSeen,
      queuedCalls: this.php.queuedCalls,
      byFunction: Object.fromEntries(this.costByFunction),
    };
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private releaseWaiters(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    this.admission.flush();
    if (this.php) this.setCostModel({ workers: this.php.workers, cores: this.php.cores, costs: this.costs });
  }

  private runAfterCall(wsfunction: string): void {
    const index = this.afterCalls.findIndex((a) => a.wsfunction === wsfunction);
    if (index === -1) return;
    const [after] = this.afterCalls.splice(index, 1);
    after!.change();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', this.baseUrl);
      if (this.controlApi && url.pathname.startsWith('/__sim/')) {
        this.onControl(req.method ?? 'GET', url, res);
      } else if (url.pathname === '/webservice/rest/server.php') {
        await this.onWebService(req, res, url.search.slice(1), body);
      } else {
        sendRaw(res, 404, HTML, NOT_FOUND_HTML);
      }
    } catch (e) {
      this.bugs.push(e instanceof Error ? e : new Error(String(e)));
      sendRaw(res, 500, 'text/plain; charset=utf-8', String(e));
    }
  }

  private async onWebService(req: http.IncomingMessage, res: http.ServerResponse, query: string, body: string) {
    // PHP merges $_GET and $_POST; POST wins. Nested names are parsed like PHP does.
    const flat = { ...flatFields(query), ...flatFields(body) };
    const nested: Record<string, unknown> = { ...qs.parse(query, QS_OPTIONS), ...qs.parse(body, QS_OPTIONS) };
    const wsfunction = typeof nested.wsfunction === 'string' ? nested.wsfunction : '';
    const json = nested.moodlewsrestformat === 'json';

    this.inFlight += 1;
    this.maxConcurrentSeen = Math.max(this.maxConcurrentSeen, this.inFlight);
    try {
      const admittedAt = await this.admission.acquire();
      try {
        const { wstoken: _token, ...params } = flat;
        const call: SimCall = { wsfunction, params, at: admittedAt };
        this.callLog.push(call);
        this.totalCalls += 1;
        if (this.down) {
          call.fault = 'down';
          await this.sleep(this.latencyMs);
          return sendRaw(res, 503, HTML, DOWN_HTML);
        }
        const fault = this.faults.take(wsfunction);
        if (fault) {
          call.fault = fault.kind;
          return await this.applyFault(fault, req, res, json);
        }
        const php = this.php;
        await php?.acquire();
        let answer: Answer;
        try {
          answer = this.execute(nested, wsfunction, (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''));
          if (answer.ok) this.runAfterCall(wsfunction);
          if (php) await php.work(this.chargeFor(wsfunction, nested, answer));
        } finally {
          php?.release();
        }
        await this.sleep(this.latencyMs);
        this.sendAnswer(res, answer, json);
        call.answeredAt = Date.now();
      } finally {
        this.admission.release();
      }
    } finally {
      this.inFlight -= 1;
    }
  }

  /** The modelled work of a call, added to the stats by function. An error costs only the overhead. */
  private chargeFor(wsfunction: string, nested: Record<string, unknown>, answer: Answer): number {
    const ms = answer.ok ? callCostMs(wsfunction, this.factsOf(wsfunction, nested, answer.value), this.costs) : this.costs.overheadMs;
    const entry = this.costByFunction.get(wsfunction) ?? { calls: 0, workMs: 0 };
    entry.calls += 1;
    entry.workMs += ms;
    this.costByFunction.set(wsfunction, entry);
    return ms;
  }

  private factsOf(wsfunction: string, nested: Record<string, unknown>, value: unknown): CallFacts {
    const count = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v).length : 0);
    const first = (v: unknown) => (v && typeof v === 'object' ? Object.values(v)[0] : v);
    const assignmentId = Number(nested.assignmentid ?? first(nested.assignmentids));
    const courseId = Number(nested.courseid ?? this.state.assignments.get(assignmentId)?.courseId);
    const enrolled = Number.isFinite(courseId) ? this.state.enrolmentsOf(courseId).length : 0;
    const answer = (value ?? {}) as { usergrades?: unknown[] };
    let students = enrolled;
    if (wsfunction === 'gradereport_user_get_grade_items') students = answer.usergrades?.length ?? 0;
    if (wsfunction === 'core_enrol_get_enrolled_users') students = Array.isArray(value) ? value.length : 0;
    return {
      students,
      gradeItems: Number.isFinite(courseId) && this.state.courses.has(courseId) ? this.state.itemsOfCourse(courseId).length : 0,
      grades: wsfunction === 'mod_assign_save_grade' ? 1 : count(nested.grades),
      values: count(nested.values),
    };
  }

  private sendAnswer(res: http.ServerResponse, answer: Answer, json: boolean): void {
    if (json) {
      const body = answer.ok ? phpJsonEncode(answer.value) : phpJsonEncode(answer.error.toBody(this.debug));
      sendRaw(res, 200, 'application/json; charset=utf-8', body);
    } else {
      const body = answer.ok ? xmlEncodeResult(answer.value) : xmlEncodeError(answer.error, this.debug);
      sendRaw(res, 200, 'application/xml; charset=utf-8', body);
    }
  }

  private async applyFault(fault: SimFault, req: http.IncomingMessage, res: http.ServerResponse, json: boolean) {
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'hang') {
      this.hanging.add(res);
      res.once('close', () => this.hanging.delete(res));
      return;
    }
    await this.sleep(this.latencyMs);
    if (fault.kind === 'huge') return this.sendHuge(res, fault.bytes);
    switch (fault.kind) {
      case 'http': {
        const body = fault.body ?? `<html><body><h1>${fault.status} ${STATUS_CODES[fault.status] ?? ''}</h1></body></html>`;
        const type = /^\s*[[{]/.test(body) ? 'application/json; charset=utf-8' : HTML;
        return sendRaw(res, fault.status, type, body);
      }
      case 'html':
        return sendRaw(res, 200, HTML, PHP_FATAL_HTML);
      case 'garbage':
        return sendRaw(res, 200, 'application/json; charset=utf-8', Buffer.from([0x00, 0xff, 0x1b, 0x7b, 0x22, 0x65, 0x78, 0xfe]));
      case 'error': {
        const error = new MoodleWsError(
          fault.exception ?? 'core\\exception\\moodle_exception',
          fault.errorcode,
          fault.message ?? fault.errorcode,
        );
        return this.sendAnswer(res, { ok: false, error }, json);
      }
    }
  }

  /** Bytes of 'huge' answers the client actually took before it hung up. */
  hugeBytesSent = 0;

  private async sendHuge(res: http.ServerResponse, bytes: number): Promise<void> {
    const head = '{"sitename":"';
    const tail = '"}';
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes });
    this.hanging.add(res);
    res.once('close', () => this.hanging.delete(res));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = bytes - head.length - tail.length;
    const write = (data: Buffer | string) =>
      new Promise<boolean>((resolve) => {
        if (res.destroyed) return resolve(false);
        this.hugeBytesSent += Buffer.byteLength(data);
        if (res.write(data)) return resolve(true);
        const done = (ok: boolean) => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = () => done(true);
        const onClose = () => done(false);
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
    if (!(await write(head))) return;
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!(await write(piece))) return;
    }
    if (await write(tail)) res.end();
  }

  private execute(nested: Record<string, unknown>, wsfunction: string, remoteIp: string): Answer {
    const token = typeof nested.wstoken === 'string' ? nested.wstoken : '';
    const params = Object.fromEntries(
      Object.entries(nested).filter(
        ([k]) => k !== 'wstoken' && k !== 'wsfunction' && k !== 'moodlewsrestformat' && !k.startsWith('moodlewssetting'),
      ),
    );
    try {
      return { ok: true, value: this.dispatch(token, wsfunction, params, remoteIp) };
    } catch (e) {
      if (e instanceof MoodleWsError) return { ok: false, error: e };
      const bug = e instanceof Error ? e : new Error(String(e));
      this.bugs.push(bug);
      return { ok: false, error: new MoodleWsError('moodle_exception', 'simulatorerror', bug.message) };
    }
  }

  /** The checks of webservice/lib.php in Moodle's order: token, user, function, service. */
  private dispatch(token: string, wsfunction: string, params: Record<string, unknown>, remoteIp: string): unknown {
    if (!token || token !== this.token || this.tokenState === 'deleted') throw wsErrors.invalidToken();
    const tokenUser = this.state.users.get(this.tokenUserId) as SimUser;
    let state = tokenUser.suspended && this.tokenState === 'valid' ? 'suspended' : this.tokenState;
    // webservice/lib.php checks webservice/rest:use in the token's (system) context before any function.
    if (state === 'valid' && !this.capabilities.has('webservice/rest:use')) state = 'no-rest-capability';
    switch (state) {
      case 'expired':
        this.tokenState = 'deleted';
        throw wsErrors.accessException('Invalid token - token expired - check validuntil time for the token');
      case 'ip-restricted':
        throw wsErrors.accessException(`Invalid service - IP:${remoteIp} is not supported - check this allowed user`);
      case 'suspended':
        throw wsErrors.userSuspended(tokenUser.username);
      case 'no-rest-capability':
        throw wsErrors.accessException(
          'You are not allowed to use the rest protocol (missing capability: webservice/rest:use)',
        );
      default:
        break;
    }
    if (!KNOWN_FUNCTIONS.has(wsfunction)) throw wsErrors.missingRecord();
    if (
      this.tokenState === 'service-disabled' ||
      this.tokenState === 'user-not-authorised' ||
      !this.serviceFunctions.includes(wsfunction)
    ) {
      throw wsErrors.accessException(functionNotAllowedDebugInfo(wsfunction));
    }
    const handler = HANDLERS[wsfunction];
    if (!handler) throw wsErrors.notSimulated(wsfunction);
    const ctx: WsContext = {
      state: this.state,
      tokenUser,
      baseUrl: this.baseUrl,
      serviceFunctions: this.serviceFunctions,
      userPrivateAccessKey: this.userPrivateAccessKey,
      can: (capability) => this.capabilities.has(capability),
    };
    return handler(ctx, params);
  }

  /**
   * GET /__sim/grades?cmid=|itemid=&userid=[&itemnumber=], GET /__sim/stats, GET /__sim/calls, POST /__sim/reset,
   * GET /__sim/capabilities, POST /__sim/capabilities/revoke?capability=…, POST /__sim/capabilities/grant?capability=….
   */
  private onControl(method: string, url: URL, res: http.ServerResponse): void {
    const reply = (status: number, value: unknown) =>
      sendRaw(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
    const num = (name: string) => {
      const v = url.searchParams.get(name);
      return v === null || v === '' ? undefined : Number(v);
    };
    const route = `${method} ${url.pathname}`;
    if (route === 'GET /__sim/stats') return reply(200, this.stats());
    if (route === 'GET /__sim/calls') {
      const fn = url.searchParams.get('wsfunction');
      return reply(200, fn ? this.callsTo(fn) : this.calls);
    }
    if (route === 'GET /__sim/capabilities') return reply(200, this.heldCapabilities);
    if (route === 'POST /__sim/capabilities/revoke' || route === 'POST /__sim/capabilities/grant') {
      const capability = url.searchParams.get('capability');
      if (!capability) return reply(400, { error: 'give ?capability=<id>, e.g. moodle/course:enrolreview' });
      if (route.endsWith('revoke')) this.revokeCapability(capability);
      else this.grantCapability(capability);
      return reply(200, this.heldCapabilities);
    }
    if (route === 'POST /__sim/reset') {
      this.reset();
      return reply(200, { ok: true });
    }
    if (route === 'GET /__sim/grades') {
      const userId = num('userid');
      const cmid = num('cmid');
      const itemId = num('itemid') ?? (cmid === undefined ? undefined : this.state.itemForCm(cmid, num('itemnumber') ?? 0)?.id);
      if (userId === undefined || itemId === undefined || !this.state.items.has(itemId)) {
        return reply(404, { error: 'give userid and a known cmid (or itemid)' });
      }
      const item = this.state.requireItem(itemId);
      const assignment = this.state.assignmentOfItem(item);
      return reply(200, {
        gradeItemId: itemId,
        userId,
        ...this.gradeOf(itemId, userId),
        ...(assignment && {
          assignment: {
            id: assignment.id,
            grade: this.assignGradeOf(assignment.id, userId),
            feedback: this.assignFeedbackOf(assignment.id, userId),
            notifications: this.notificationsFor(assignment.id, userId),
          },
        }),
      });
    }
    return reply(404, { error: `unknown control route ${route}` });
  }
}
