import { FINAL_STATES, GradeSyncContext, SITE, Views } from '../support/grade-sync-context';
import { ADMIN_TOKEN } from '../support/test-app';
import { waitFor } from '../support/wait';

/** A second Moodle course, so course-limited tokens and course filters have something to exclude. */
const COURSE3 = { courseId: 3, assign: { id: 30, cmid: 31 } };
const ACCESS_EXCEPTION = { kind: 'error', errorcode: 'accessexception', exception: 'webservice_access_exception', message: 'Access control exception' } as const;

interface SyncItem {
  id: string;
  submissionId: string;
  mappingId: string;
  state: string;
  userRef: string;
  lmsCourseId: number;
  errorCode: string | null;
  createdAt: string;
  attempts?: { outcome: string }[];
}
interface SubmissionItem {
  id: string;
  assessmentId: string;
  speechaceQuizId: string;
  userRef: string;
  receivedAt: string;
  syncs: { id: string; mappingId: string }[];
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

describe('submission and sync lists, retries (/api/v1/submissions, /api/v1/syncs)', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    ctx.sim.addCourse({ id: COURSE3.courseId, shortname: 'SPEECH201' });
    for (const s of SITE.students) ctx.sim.enrol(COURSE3.courseId, s.id);
    ctx.sim.addAssignment({ id: COURSE3.assign.id, cmid: COURSE3.assign.cmid, courseId: COURSE3.courseId, name: 'Course 3 speaking task' });
  });
  afterAll(() => ctx.close());

  const as = (token: string, method: 'get' | 'post', path: string) => ctx.t.http[method](path).set('authorization', `Bearer ${token}`);
  const get = async <T>(path: string, token = ADMIN_TOKEN): Promise<T> => {
    const res = await as(token, 'get', path);
    expect({ path, status: res.status, body: res.status === 200 ? undefined : res.body }).toMatchObject({ status: 200 });
    return res.body as T;
  };
  const ids = (items: { id: string }[]) => items.map((i) => i.id);

  const mappingInCourse3 = (assessmentId: string, overrides: Record<string, unknown> = {}) =>
    ctx.newMapping({ assessmentId, lmsCourseId: COURSE3.courseId, target: { type: 'assign', assignmentId: COURSE3.assign.id, cmid: COURSE3.assign.cmid }, ...overrides });

  async function post(courseId: string, overrides: Record<string, unknown> = {}): Promise<{ submissionId: string; syncs: { id: string; mappingId: string }[] }> {
    const res = await ctx.postCallback(ctx.callbackBody({ courseId, ...overrides }));
    expect(res.status).toBe(202);
    return res.body;
  }

  /** Every page of a list, following nextCursor; `between` runs before each request after the first. */
  async function allPages<T extends { id: string }>(path: string, limit: number, between?: (page: number) => Promise<void>): Promise<{ pages: T[][] }> {
    const pages: T[][] = [];
    let cursor: string | null = null;
    do {
      if (pages.length > 0 && between) await between(pages.length);
      const sep = path.includes('?') ? '&' : '?';
      const page: Page<T> = await get<Page<T>>(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      pages.push(page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return { pages };
  }

  const waitUntilIdle = () =>
    waitFor('every sync to finish', async () => ((await get<Page<SyncItem>>('/api/v1/syncs?state=pending,queued&limit=1')).items.length === 0 ? true : undefined));

  const waitForAttempts = (syncId: string, count: number) =>
    waitFor(`sync ${syncId} to finish attempt ${count}`, async () => {
      const s = await ctx.sync(syncId);
      return FINAL_STATES.includes(s.state) && s.attempts.length === count ? s : undefined;
    });

  describe('filters', () => {
    let a: Views, b: Views, ma2: Views, ma3: Views, mb2: Views;
    const sub: Record<string, string> = {};
    const syncsOf: Record<string, string[]> = {};

    beforeAll(async () => {
      a = await ctx.newAssessment({ speechaceCourseId: 'flt-a' });
      b = await ctx.newAssessment({ speechaceCourseId: 'flt-b' });
      ma2 = await ctx.newMapping({ assessmentId: a.id });
      ma3 = await mappingInCourse3(a.id);
      mb2 = await ctx.newMapping({ assessmentId: b.id, speechaceQuizId: '777', target: { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid } });
      const fixtures: [string, string, Record<string, unknown>][] = [
        ['s1', 'flt-a', { quizId: 456, userId: '4', score: { overall: 1.8 } }],
        ['s2', 'flt-a', { quizId: 789, userId: '5', score: { overall: 10 } }], // outside 0-9: fails
        ['s3', 'flt-b', { quizId: 777, userId: '4', score: { overall: 2.7 } }],
        ['s4', 'flt-b', { quizId: 456, userId: '5', score: { overall: 3.6 } }], // no mapping takes quiz 456 of flt-b
      ];
      for (const [name, courseId, body] of fixtures) {
        const stored = await post(courseId, body);
        sub[name] = stored.submissionId;
        syncsOf[name] = stored.syncs.map((s) => s.id);
      }
      expect(syncsOf.s1).toHaveLength(2);
      expect(syncsOf.s4).toHaveLength(0);
      await waitUntilIdle();
      // Distinct, known times (s1 on 2001-01-01, s2 on 2001-01-02, …) for the from/to filters.
      for (const [i, name] of ['s1', 's2', 's3', 's4'].entries()) {
        const at = `2001-01-0${i + 1}T12:00:00Z`;
        await ctx.t.db.query(`UPDATE submissions SET received_at = $2 WHERE id = $1`, [sub[name], at]);
        await ctx.t.db.query(`UPDATE syncs SET created_at = $2 WHERE submission_id = $1`, [sub[name], at]);
      }
    });

    const fixtureSubmissions = () => new Set(Object.values(sub));
    const fixtureSyncs = () => new Set(Object.values(syncsOf).flat());
    const submissionsWhere = async (query: string) => {
      const page = await get<Page<SubmissionItem>>(`/api/v1/submissions?limit=500&${query}`);
      return { all: page.items, mine: ids(page.items).filter((id) => fixtureSubmissions().has(id)).sort() };
    };
    const syncsWhere = async (query: string) => {
      const page = await get<Page<SyncItem>>(`/api/v1/syncs?limit=500&${query}`);
      return { all: page.items, mine: ids(page.items).filter((id) => fixtureSyncs().has(id)).sort() };
    };
    const sorted = (...lists: string[][]) => lists.flat().sort();

    it('lists submissions newest first, each with its syncs', async () => {
      const page = await get<Page<SubmissionItem>>(`/api/v1/submissions?assessmentId=${a.id}`);
      expect(ids(page.items)).toEqual([sub.s2, sub.s1]);
      expect(page.nextCursor).toBeNull();
      expect(page.items[1]!.syncs.map((s) => s.id).sort()).toEqual(sorted(syncsOf.s1!));
      expect(page.items[0]).not.toHaveProperty('rawBody');
    });

    it('narrows submissions by assessmentId, quizId, lmsCourseId, user and received time', async () => {
      expect((await submissionsWhere(`assessmentId=${a.id}`)).mine).toEqual(sorted([sub.s1!, sub.s2!]));
      expect((await submissionsWhere(`assessmentId=${b.id}`)).mine).toEqual(sorted([sub.s3!, sub.s4!]));

      const quiz = await submissionsWhere('quizId=777');
      expect(quiz.mine).toEqual([sub.s3]);
      expect(quiz.all.every((s) => s.speechaceQuizId === '777')).toBe(true);

      const course3 = await submissionsWhere('lmsCourseId=3');
      expect(course3.mine).toEqual(sorted([sub.s1!, sub.s2!]));

      const user5 = await submissionsWhere('user=5');
      expect(user5.mine).toEqual(sorted([sub.s2!, sub.s4!]));
      expect(user5.all.every((s) => s.userRef === '5')).toBe(true);

      const window = await submissionsWhere('from=2001-01-02T00:00:00Z&to=2001-01-04T12:00:00Z');
      expect(ids(window.all).sort()).toEqual(sorted([sub.s2!, sub.s3!]));

      const combined = await submissionsWhere(`assessmentId=${a.id}&user=4`);
      expect(ids(combined.all)).toEqual([sub.s1]);
    });

    it('narrows syncs by state, mappingId, assessmentId, lmsCourseId, user, errorCode and created time', async () => {
      const failed = await syncsWhere('state=failed');
      expect(failed.mine).toEqual(sorted(syncsOf.s2!));
      expect(failed.all.every((s) => s.state === 'failed')).toBe(true);
      expect((await syncsWhere('state=failed,synced')).mine).toEqual(sorted([...fixtureSyncs()]));
      expect((await syncsWhere('state=failed&state=synced')).mine).toEqual(sorted([...fixtureSyncs()]));
      expect((await syncsWhere('state=blocked')).mine).toEqual([]);

      const byMapping = await syncsWhere(`mappingId=${ma3.id}`);
      expect(ids(byMapping.all).sort()).toEqual(sorted(byMapping.mine));
      expect(byMapping.all.map((s) => s.mappingId)).toEqual([ma3.id, ma3.id]);

      expect(ids((await syncsWhere(`assessmentId=${b.id}`)).all)).toEqual(syncsOf.s3);
      expect((await syncsWhere(`submissionId=${sub.s1}`)).mine).toEqual(sorted(syncsOf.s1!));

      const course3 = await syncsWhere('lmsCourseId=3');
      expect(course3.all.every((s) => s.lmsCourseId === 3)).toBe(true);
      expect(course3.mine.map((id) => course3.all.find((s) => s.id === id)!.mappingId)).toEqual([ma3.id, ma3.id]);

      const user4 = await syncsWhere('user=4');
      expect(user4.mine).toEqual(sorted(syncsOf.s1!, syncsOf.s3!));
      expect(user4.all.every((s) => s.userRef === '4')).toBe(true);

      const outOfScale = await syncsWhere('errorCode=score_out_of_scale');
      expect(outOfScale.mine).toEqual(sorted(syncsOf.s2!));
      expect(outOfScale.all.every((s) => s.errorCode === 'score_out_of_scale' && s.state === 'failed')).toBe(true);

      const window = await syncsWhere('from=2001-01-01T12:00:00Z&to=2001-01-03T00:00:00Z');
      expect(ids(window.all).sort()).toEqual(sorted(syncsOf.s1!, syncsOf.s2!));

      expect(ids((await syncsWhere(`mappingId=${mb2.id}&state=synced&user=4`)).all)).toEqual(syncsOf.s3);
      expect(ids((await syncsWhere(`mappingId=${ma2.id}&user=nobody`)).all)).toEqual([]);
    });
  });

  describe('cursor pagination', () => {
    it('returns every row exactly once across pages, newest first, while new callbacks arrive between pages', async () => {
      const assessment = await ctx.newAssessment({ speechaceCourseId: 'pages' });
      const mapping = await ctx.newMapping({ assessmentId: assessment.id, target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 } });
      const original: { submissionId: string; syncId: string }[] = [];
      for (let i = 0; i < 7; i++) {
        const stored = await post('pages', { userId: i % 2 ? '4' : '5', score: { overall: i } });
        original.push({ submissionId: stored.submissionId, syncId: stored.syncs[0]!.id });
      }
      const newest = [...original].reverse();
      const late: string[] = [];
      const arrive = async () => {
        late.push((await post('pages', { userId: '4', score: { overall: 8 } })).submissionId);
      };

      const submissions = await allPages<SubmissionItem>(`/api/v1/submissions?assessmentId=${assessment.id}`, 3, arrive);
      expect(submissions.pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(submissions.pages.flat().map((s) => s.id)).toEqual(newest.map((o) => o.submissionId));
      expect(late).toHaveLength(2);

      const syncs = await allPages<SyncItem>(`/api/v1/syncs?mappingId=${mapping.id}`, 4, arrive);
      const syncIds = syncs.pages.flat().map((s) => s.id);
      expect(new Set(syncIds).size).toBe(syncIds.length);
      // The first page already held the two late arrivals; the late ones after it never show up.
      expect(syncs.pages.map((p) => p.length)).toEqual([4, 4, 1]);
      expect(syncIds.slice(2)).toEqual(newest.map((o) => o.syncId));

      const fresh = await get<Page<SubmissionItem>>(`/api/v1/submissions?assessmentId=${assessment.id}&limit=${7 + late.length}`);
      expect(ids(fresh.items)).toEqual([...[...late].reverse(), ...newest.map((o) => o.submissionId)]);
      expect(fresh.nextCursor).toBeNull();
      await waitUntilIdle();
    });

    it('answers 400, naming the parameter, for a bad limit, cursor, state, id, time or unknown parameter', async () => {
      const garbageCursor = Buffer.from('abc').toString('base64url');
      const cases: [string, RegExp][] = [
        ['/api/v1/submissions?limit=0', /limit must be an integer from 1 to 500/],
        ['/api/v1/submissions?limit=abc', /limit must be an integer from 1 to 500/],
        ['/api/v1/syncs?limit=501', /limit must be an integer from 1 to 500/],
        ['/api/v1/syncs?limit=2.5', /limit must be an integer/],
        ['/api/v1/submissions?cursor=!!!', /cursor is not one this API gave out/],
        [`/api/v1/syncs?cursor=${garbageCursor}`, /cursor is not one this API gave out/],
        ['/api/v1/syncs?state=bogus', /state must be one or more of pending, queued, paused, synced, blocked, failed, skipped/],
        ['/api/v1/syncs?state=failed,nope', /state must be one or more of/],
        ['/api/v1/syncs?state=', /state must name at least one/],
        ['/api/v1/syncs?mappingId=123', /mappingId must be a UUID/],
        ['/api/v1/submissions?assessmentId=not-a-uuid', /assessmentId must be a UUID/],
        ['/api/v1/submissions?from=yesterday', /from must be an ISO 8601 time/],
        ['/api/v1/syncs?to=2025-13-45', /to must be an ISO 8601 time/],
        ['/api/v1/syncs?lmsCourseId=two', /lmsCourseId must be an LMS course id/],
        ['/api/v1/syncs?errorCode=a%20b', /errorCode must be/],
        ['/api/v1/submissions?colour=red', /property colour should not exist/],
        ['/api/v1/submissions?user=4&user=5', /user must be a string/],
        ['/api/v1/syncs/not-a-uuid', /uuid is expected/],
      ];
      for (const [path, message] of cases) {
        const res = await ctx.admin('get', path);
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(JSON.stringify(res.body.message)).toMatch(message);
      }
    });
  });

  describe('retry of one sync', () => {
    it('puts a failed sync back in the queue; it ends synced and keeps both attempts; a synced one answers 409', async () => {
      await waitUntilIdle(); // the fault below must hit this test's sync, not another one
      const assessment = await ctx.newAssessment({ speechaceCourseId: 'retry-one' });
      await ctx.newMapping({ assessmentId: assessment.id });
      ctx.sim.failNext(1, ACCESS_EXCEPTION);
      const failed = await ctx.deliver(ctx.callbackBody({ courseId: 'retry-one', userId: '5', score: { overall: 3.6 } }));
      ctx.sim.clearFaults();
      expect(failed.state).toBe('failed');
      expect(failed.reason).toMatch(/accessexception/);
      expect(failed.attempts).toHaveLength(1);

      const res = await ctx.admin('post', `/api/v1/syncs/${failed.id}/retry`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(failed.id);
      expect(['pending', 'queued', 'synced']).toContain(res.body.state);
      const [{ retry_base: retryBase }] = (await ctx.t.db.query(`SELECT retry_base FROM syncs WHERE id = $1`, [failed.id])) as { retry_base: number }[];
      expect(retryBase).toBe(1);

      const done = await waitForAttempts(failed.id, 2);
      expect(done.state).toBe('synced');
      expect(done.grade).toBe(40);
      expect(done.attempts.map((x) => x.outcome)).toEqual(['failed', 'synced']);
      expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 5)).toBe(40);

      const again = await ctx.admin('post', `/api/v1/syncs/${failed.id}/retry`);
      expect(again.status).toBe(409);
      expect(again.body.message).toMatch(/is synced; only failed, blocked, skipped syncs can be retried \(Moodle already holds its grade\)/);

      const audit = await ctx.admin('get', '/api/v1/audit?limit=500').expect(200);
      const entries = (audit.body as { action: string; entityId: string; actorName: string; before: { state: string }; after: { state: string; reason: string } }[]).filter(
        (e) => e.action === 'sync.retry' && e.entityId === failed.id,
      );
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorName: 'bootstrap admin (ADMIN_API_TOKEN)', before: { state: 'failed' }, after: { state: 'pending' } });
      expect(entries[0]!.after.reason).toBe('retry requested by bootstrap admin (ADMIN_API_TOKEN)');
    });

    it('answers 404 for an unknown sync and 400 for a malformed id', async () => {
      await ctx.admin('post', '/api/v1/syncs/00000000-0000-4000-8000-000000000000/retry').expect(404);
      await ctx.admin('post', '/api/v1/syncs/123/retry').expect(400);
    });
  });

  describe('bulk retry', () => {
    it('requeues only the syncs matching the filter, counts them and audits the filter', async () => {
      const bulkA = await ctx.newAssessment({ speechaceCourseId: 'bulk-a' });
      const bulkB = await ctx.newAssessment({ speechaceCourseId: 'bulk-b' });
      const mappingA = await ctx.newMapping({ assessmentId: bulkA.id });
      await mappingInCourse3(bulkB.id);
      const outOfScale = { score: { overall: 10 } };
      const aSyncs = [];
      for (let i = 0; i < 3; i++) aSyncs.push((await ctx.deliver(ctx.callbackBody({ courseId: 'bulk-a', ...outOfScale }))).id);
      const bSyncs = [];
      for (let i = 0; i < 2; i++) bSyncs.push((await ctx.deliver(ctx.callbackBody({ courseId: 'bulk-b', ...outOfScale }))).id);

      const byMapping = await ctx.admin('post', '/api/v1/syncs/retry').send({ mappingId: mappingA.id });
      expect(byMapping.status).toBe(200);
      expect(byMapping.body).toEqual({ requeued: 3 });
      for (const id of aSyncs) {
        const s = await waitForAttempts(id, 2);
        expect(s.state).toBe('failed');
      }
      for (const id of bSyncs) expect((await ctx.sync(id)).attempts).toHaveLength(1);

      await expect(ctx.admin('post', '/api/v1/syncs/retry').send({ assessmentId: bulkB.id, state: 'blocked' }).then((r) => r.body)).resolves.toEqual({ requeued: 0 });
      await expect(ctx.admin('post', '/api/v1/syncs/retry').send({ assessmentId: bulkB.id, errorCode: 'invalidtoken' }).then((r) => r.body)).resolves.toEqual({ requeued: 0 });
      await expect(ctx.admin('post', '/api/v1/syncs/retry').send({ assessmentId: bulkB.id, lmsCourseId: 2 }).then((r) => r.body)).resolves.toEqual({ requeued: 0 });
      const byCourse = await ctx.admin('post', '/api/v1/syncs/retry').send({ state: ['failed', 'blocked'], assessmentId: bulkB.id, lmsCourseId: 3, errorCode: 'score_out_of_scale' });
      expect(byCourse.body).toEqual({ requeued: 2 });
      for (const id of bSyncs) expect((await waitForAttempts(id, 2)).state).toBe('failed');

      const audit = await ctx.admin('get', '/api/v1/audit?limit=500').expect(200);
      const bulk = (audit.body as { action: string; after: { requeued: number; filter: Record<string, unknown> } }[]).filter((e) => e.action === 'sync.retry-bulk');
      expect(bulk.find((e) => e.after.filter.mappingId === mappingA.id)?.after).toEqual({ requeued: 3, filter: { mappingId: mappingA.id, state: ['failed'] } });
      expect(bulk.find((e) => e.after.requeued === 2)?.after.filter).toMatchObject({ assessmentId: bulkB.id, lmsCourseId: 3, state: ['failed', 'blocked'] });
    });

    it('refuses states that cannot be retried and malformed filters with 400', async () => {
      for (const [body, message] of [
        [{ state: 'synced' }, /state must be one or more of failed, blocked, skipped/],
        [{ state: 'failed,queued' }, /state must be one or more of failed, blocked, skipped/],
        [{ mappingId: 'x' }, /mappingId must be a UUID/],
        [{ lmsCourseId: '2' }, /lmsCourseId must be an LMS course id/],
        [{ from: 'last week' }, /from must be an ISO 8601 time/],
        [{ everything: true }, /property everything should not exist/],
      ] as [Record<string, unknown>, RegExp][]) {
        const res = await ctx.admin('post', '/api/v1/syncs/retry').send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(res.body.message)).toMatch(message);
      }
    });
  });

  describe('a viewer token limited to course 2', () => {
    let viewer: string;
    let both: { submissionId: string; syncs: { id: string; mappingId: string }[] };
    let only3: { submissionId: string; syncs: { id: string; mappingId: string }[] };
    let mapping3: Views;

    beforeAll(async () => {
      const created = await ctx.admin('post', '/api/v1/tokens').send({ name: 'SPEECH101 instructors', role: 'viewer', lmsCourseIds: [2] });
      expect(created.status).toBe(201);
      viewer = created.body.token as string;
      const twoCourses = await ctx.newAssessment({ speechaceCourseId: 'scope-both' });
      await ctx.newMapping({ assessmentId: twoCourses.id });
      mapping3 = await mappingInCourse3(twoCourses.id);
      const course3Only = await ctx.newAssessment({ speechaceCourseId: 'scope-3' });
      await mappingInCourse3(course3Only.id);
      both = await post('scope-both', { score: { overall: 10 } });
      only3 = await post('scope-3', { score: { overall: 10 } });
      expect(both.syncs).toHaveLength(2);
      await waitUntilIdle();
    });

    it('reads lists, but only rows of course 2', async () => {
      const syncs = await get<Page<SyncItem>>('/api/v1/syncs?limit=500', viewer);
      expect(syncs.items.length).toBeGreaterThan(0);
      expect(syncs.items.every((s) => s.lmsCourseId === 2)).toBe(true);
      const course2Sync = both.syncs.find((s) => s.mappingId !== mapping3.id)!;
      expect(ids(syncs.items)).toContain(course2Sync.id);
      expect(ids(syncs.items)).not.toContain(only3.syncs[0]!.id);

      const submissions = await get<Page<SubmissionItem>>('/api/v1/submissions?limit=500', viewer);
      expect(ids(submissions.items)).not.toContain(only3.submissionId);
      const shared = submissions.items.find((s) => s.id === both.submissionId)!;
      expect(shared.syncs.map((s) => s.id)).toEqual([course2Sync.id]);

      const paged = await allPages<SyncItem>('/api/v1/syncs?state=failed', 2);
      const viewerPaged = [];
      let cursor: string | null = null;
      do {
        const page: Page<SyncItem> = await get<Page<SyncItem>>(`/api/v1/syncs?state=failed&limit=2${cursor ? `&cursor=${cursor}` : ''}`, viewer);
        viewerPaged.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids(viewerPaged)).toEqual(ids(paged.pages.flat().filter((s) => s.lmsCourseId === 2)));
    });

    it('gets 403 for single rows and filters of other courses', async () => {
      const single = await as(viewer, 'get', `/api/v1/syncs/${only3.syncs[0]!.id}`);
      expect(single.status).toBe(403);
      expect(single.body.message).toMatch(/may not see LMS course 3/);
      await as(viewer, 'get', `/api/v1/submissions/${only3.submissionId}`).expect(403);
      await as(viewer, 'get', '/api/v1/syncs?lmsCourseId=3').expect(403);
      await as(viewer, 'get', '/api/v1/submissions?lmsCourseId=3').expect(403);

      const shared = await get<SubmissionItem>(`/api/v1/submissions/${both.submissionId}`, viewer);
      expect(shared.syncs.map((s) => s.mappingId)).not.toContain(mapping3.id);
      const admin = await get<SubmissionItem>(`/api/v1/submissions/${both.submissionId}`);
      expect(admin.syncs).toHaveLength(2);
    });

    it('may not retry (403)', async () => {
      const course2Sync = both.syncs.find((s) => s.mappingId !== mapping3.id)!;
      const one = await as(viewer, 'post', `/api/v1/syncs/${course2Sync.id}/retry`);
      expect(one.status).toBe(403);
      expect(one.body.message).toMatch(/needs an admin token/);
      await as(viewer, 'post', '/api/v1/syncs/retry').send({}).expect(403);
      expect((await ctx.sync(course2Sync.id)).state).toBe('failed');
    });
  });
});
