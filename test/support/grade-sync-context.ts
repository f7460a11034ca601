import { MoodleSimulator } from '../moodle-simulator/moodle-simulator';
import { ADMIN_TOKEN, createTestApp, TestApp } from './test-app';
import { waitFor } from './wait';

export const FINAL_STATES = ['synced', 'blocked', 'failed', 'skipped'];
export const CALLBACK_KEY = 'IlYq1zwpMrCaUAW3';

/** Moodle as recorded in the spec: course 2, students 4 and 5, assignment 1 (cmid 2) and 2 (cmid 3, comments), an LTI activity (cmid 4). */
export const SITE = {
  courseId: 2,
  students: [
    { id: 4, username: 'student1', email: 'student1@example.edu', idnumber: 'S0001' },
    { id: 5, username: 'student2', email: 'student2@example.edu', idnumber: 'S0002' },
  ],
  outsider: { id: 3, username: 'gradesync', email: 'gradesync@example.edu', idnumber: 'WS' },
  assignNoComments: { id: 1, cmid: 2 },
  assignWithComments: { id: 2, cmid: 3 },
  lti: { component: 'mod_lti', instance: 1, cmid: 4 },
};

export interface Views {
  [key: string]: unknown;
  id: string;
}

/** The real app plus a Moodle simulator, with factories that go through the real admin API. */
export class GradeSyncContext {
  private constructor(
    readonly t: TestApp,
    readonly sim: MoodleSimulator,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<GradeSyncContext> {
    const sim = await MoodleSimulator.start();
    seedSite(sim);
    return new GradeSyncContext(await createTestApp(env), sim);
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.sim.close();
  }

  admin(method: 'get' | 'post' | 'patch' | 'delete', path: string) {
    return this.t.http[method](path).set('authorization', `Bearer ${ADMIN_TOKEN}`);
  }

  async newConnection(overrides: Record<string, unknown> = {}): Promise<Views> {
    const res = await this.admin('post', '/api/v1/connections').send({ name: 'Test Moodle', kind: 'moodle', baseUrl: this.sim.baseUrl, token: this.sim.token, ...overrides });
    expect(res.status).toBe(201);
    return res.body as Views;
  }

  async newAssessment(overrides: Record<string, unknown> = {}): Promise<Views> {
    const res = await this.admin('post', '/api/v1/assessments').send({ name: 'Speaking test', speechaceCourseId: '1234', callbackKey: CALLBACK_KEY, ...overrides });
    expect(res.status).toBe(201);
    return res.body as Views;
  }

  /** A mapping to assignment 2 (comments on) by default, on a fresh connection and assessment unless given. */
  async newMapping(overrides: Record<string, unknown> = {}): Promise<Views> {
    const assessmentId = (overrides.assessmentId as string | undefined) ?? (await this.newAssessment()).id;
    const connectionId = (overrides.connectionId as string | undefined) ?? (await this.newConnection()).id;
    const res = await this.admin('post', '/api/v1/mappings').send(mappingBody(assessmentId, connectionId, overrides));
    expect(res.status).toBe(201);
    return res.body as Views;
  }

  callbackBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      version: '1.0',
      key: CALLBACK_KEY,
      courseId: 1234,
      quizId: 456,
      userId: '4',
      score: { overall: 7.2, pronunciation: 7.6, fluency: 6.5, vocab: 6.6, grammar: 5.5 },
      reportUrl: `https://speak.speechace.co/placement/report/${Math.random().toString(16).slice(2)}`,
      ...overrides,
    };
  }

  postCallback(body: Record<string, unknown> | string, opts: { query?: string; contentType?: string } = {}) {
    const req = this.t.http.post(`/speechace/callback${opts.query ? `?${opts.query}` : ''}`);
    if (typeof body === 'string') return req.set('content-type', opts.contentType ?? 'application/json').send(body);
    return req.set('content-type', opts.contentType ?? 'application/json').send(JSON.stringify(body));
  }

  async sync(id: string): Promise<Views & { state: string; reason: string | null; grade: number | null; attempts: { outcome: string; calls: { function: string; error: string | null }[] }[] }> {
    const res = await this.admin('get', `/api/v1/syncs/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async waitForFinal(syncId: string, timeoutMs = 20000) {
    return waitFor(`sync ${syncId} to finish`, async () => {
      const s = await this.sync(syncId);
      return FINAL_STATES.includes(s.state) ? s : undefined;
    }, timeoutMs);
  }

  /** Posts a callback, expects 202 and one sync, and waits for that sync to finish. */
  async deliver(body: Record<string, unknown>, query?: string) {
    const res = await this.postCallback(body, { query });
    expect(res.status).toBe(202);
    expect(res.body.syncs).toHaveLength(1);
    return this.waitForFinal(res.body.syncs[0].id as string);
  }
}

export function seedSite(sim: MoodleSimulator): void {
  sim.addCourse({ id: SITE.courseId, shortname: 'SPEECH101', fullname: 'Speechace Sync Test' });
  for (const u of [...SITE.students, SITE.outsider]) sim.addUser({ ...u, firstname: 'User', lastname: String(u.id) });
  for (const s of SITE.students) sim.enrol(SITE.courseId, s.id);
  sim.addAssignment({ id: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid, courseId: SITE.courseId, name: 'Speaking task 1', feedbackComments: false });
  sim.addAssignment({ id: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid, courseId: SITE.courseId, name: 'Speaking task 2', feedbackComments: true });
  sim.addActivity({ component: SITE.lti.component, instance: SITE.lti.instance, cmid: SITE.lti.cmid, courseId: SITE.courseId, name: 'External speaking tool' });
}

/** A valid POST /api/v1/mappings body: overall score on 0-9 into assignment 2 (cmid 3) of course 2, users matched on id. */
export function mappingBody(assessmentId: string, connectionId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    assessmentId,
    connectionId,
    lmsCourseId: SITE.courseId,
    target: { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid },
    userMatch: 'id',
    scoreField: 'overall',
    sourceScale: { min: 0, max: 9 },
    ...overrides,
  };
}
