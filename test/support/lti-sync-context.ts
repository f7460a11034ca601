import { LtiPlatformSimulator, SimLineItem } from '../lti-platform-simulator/lti-platform-simulator';
import { ADMIN_TOKEN, createTestApp, TestApp } from './test-app';
import { CALLBACK_KEY, FINAL_STATES } from './grade-sync-context';
import { waitFor } from './wait';

/** Moodle's local LTI set-up as recorded: course 2, students 3, 4 and 5 enrolled, the tool's line item (max 100). */
export const LTI_SITE = { courseId: 2, students: [3, 4, 5], notEnrolled: 99 };

export interface SyncView {
  id: string;
  state: string;
  reason: string | null;
  grade: number | null;
  lmsUserId: number | null;
  attempts: { outcome: string; errorCode: string | null; reason: string | null; startedAt: string; calls: { function: string; params: Record<string, string>; httpStatus: number | null; body: string | null; error: string | null }[] }[];
}

/** The real app, an LTI platform simulator that trusts the app's key, and an lti-ags connection and mapping to its line item. */
export class LtiSyncContext {
  connectionId = '';
  assessmentId = '';
  mappingId = '';

  private constructor(
    readonly t: TestApp,
    readonly platform: LtiPlatformSimulator,
    readonly item: SimLineItem,
  ) {}

  static async start(env: Record<string, string> = {}, platformOptions: Parameters<typeof LtiPlatformSimulator.start>[0] = {}): Promise<LtiSyncContext> {
    const platform = await LtiPlatformSimulator.start(platformOptions);
    platform.state.enrol(LTI_SITE.courseId, ...LTI_SITE.students);
    const item = platform.state.addLineItem(LTI_SITE.courseId, 'Speechace speaking test (LTI)', 100);
    const ctx = new LtiSyncContext(await createTestApp(env), platform, item);
    platform.usePublicKey((await ctx.admin('get', '/api/v1/lti/tool')).body.publicKeyPem as string);
    ctx.connectionId = (await ctx.newConnection()).id;
    ctx.assessmentId = (await ctx.expectCreated('/api/v1/assessments', { name: 'Speaking test', speechaceCourseId: '1234', callbackKey: CALLBACK_KEY })).id;
    ctx.mappingId = (await ctx.newMapping()).id;
    return ctx;
  }

  async close(): Promise<void> {
    await this.t.close();
    await this.platform.close();
  }

  admin(method: 'get' | 'post' | 'patch' | 'delete', path: string) {
    return this.t.http[method](path).set('authorization', `Bearer ${ADMIN_TOKEN}`);
  }

  private async expectCreated(path: string, body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
    const res = await this.admin('post', path).send(body);
    if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${res.text}`);
    return res.body;
  }

  connectionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const p = this.platform;
    return { name: 'Moodle via LTI', kind: 'lti-ags', issuer: p.issuer, clientId: p.clientId, deploymentId: p.deploymentId, tokenUrl: p.tokenUrl, ...overrides };
  }

  newConnection(overrides: Record<string, unknown> = {}) {
    return this.expectCreated('/api/v1/connections', this.connectionBody(overrides));
  }

  mappingBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      assessmentId: this.assessmentId,
      connectionId: this.connectionId,
      lmsCourseId: LTI_SITE.courseId,
      target: { type: 'lineitem', lineItemUrl: this.platform.lineItemUrl(this.item) },
      userMatch: 'id',
      scoreField: 'overall',
      sourceScale: { min: 0, max: 9 },
      ...overrides,
    };
  }

  newMapping(overrides: Record<string, unknown> = {}) {
    return this.expectCreated('/api/v1/mappings', this.mappingBody(overrides));
  }

  callbackBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      key: CALLBACK_KEY,
      courseId: 1234,
      quizId: 456,
      userId: '4',
      score: { overall: 7.2, pronunciation: 7.6, fluency: 6.5 },
      reportUrl: `https://speak.speechace.co/placement/report/${Math.random().toString(16).slice(2)}`,
      ...overrides,
    };
  }

  /** Posts a callback, expects 202 and one sync, and answers the sync's id. */
  async post(body: Record<string, unknown>): Promise<string> {
    const res = await this.t.http.post('/speechace/callback').set('content-type', 'application/json').send(JSON.stringify(body));
    if (res.status !== 202 || res.body.syncs?.length !== 1) throw new Error(`callback answered ${res.status}: ${res.text}`);
    return res.body.syncs[0].id as string;
  }

  async sync(id: string): Promise<SyncView> {
    return (await this.admin('get', `/api/v1/syncs/${id}`)).body as SyncView;
  }

  async waitForFinal(id: string, timeoutMs = 20000): Promise<SyncView> {
    return waitFor(`sync ${id} to finish`, async () => {
      const s = await this.sync(id);
      return FINAL_STATES.includes(s.state) ? s : undefined;
    }, timeoutMs);
  }

  async deliver(body: Record<string, unknown>): Promise<SyncView> {
    return this.waitForFinal(await this.post(body));
  }

  held(userId: number) {
    return this.platform.state.grade(this.item.itemId, userId);
  }
}
