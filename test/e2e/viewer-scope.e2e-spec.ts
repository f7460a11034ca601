import { CALLBACK_KEY, GradeSyncContext, Views } from '../support/grade-sync-context';
import { ADMIN_TOKEN } from '../support/test-app';

/**
 * A viewer limited to course 99 calls every GET route of /api/v1 (from the OpenAPI document, so a
 * new route cannot escape) with every id of course 2 and of its own course, and with the list
 * filters: nothing of course 2 comes back (no id, no baseUrl, no Speechace course id), and no key
 * hint reaches any viewer.
 */
describe('a course-limited viewer sees nothing of another course on any GET route', () => {
  let ctx: GradeSyncContext;
  let limited: string;
  let unlimited: string;
  let course2: Record<string, string>;
  let course99: Record<string, string>;
  let getPaths: string[];

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    ctx.sim.addCourse({ id: 99, shortname: 'OTHER', fullname: 'Other course' });
    ctx.sim.addAssignment({ id: 9, cmid: 90, courseId: 99, name: 'Other task', feedbackComments: false });

    const conn2 = await ctx.newConnection();
    const asmt2 = await ctx.newAssessment({ speechaceCourseId: 'sc-course-two' });
    const map2 = await ctx.newMapping({ connectionId: conn2.id, assessmentId: asmt2.id });
    const cb = await ctx.postCallback(ctx.callbackBody({ courseId: 'sc-course-two' })).expect(202);
    await ctx.waitForFinal(cb.body.syncs[0].id as string);
    course2 = {
      connectionId: conn2.id,
      baseUrl: ctx.sim.baseUrl,
      assessmentId: asmt2.id,
      speechaceCourseId: 'sc-course-two',
      mappingId: map2.id,
      submissionId: cb.body.submissionId as string,
      syncId: cb.body.syncs[0].id as string,
    };

    const conn99 = await ctx.newConnection({ baseUrl: ctx.sim.baseUrl.replace('127.0.0.1', 'localhost') });
    const asmt99 = await ctx.newAssessment({ speechaceCourseId: 'sc-course-99', callbackKey: 'another-key-99' });
    const map99 = (await ctx.admin('post', '/api/v1/mappings').send({
      assessmentId: asmt99.id, connectionId: conn99.id, lmsCourseId: 99, target: { type: 'assign', assignmentId: 9, cmid: 90 },
      userMatch: 'id', scoreField: 'overall', sourceScale: { min: 0, max: 9 },
    }).expect(201)).body as Views;
    course99 = { connectionId: conn99.id, assessmentId: asmt99.id, mappingId: map99.id };

    limited = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'course 99', role: 'viewer', lmsCourseIds: [99] }).expect(201)).body.token as string;
    unlimited = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'all courses', role: 'viewer' }).expect(201)).body.token as string;

    const doc = await ctx.t.http.get('/docs-json').expect(200);
    getPaths = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
      .filter(([path, methods]) => path.startsWith('/api/v1') && 'get' in methods)
      .map(([path]) => path);
  });
  afterAll(() => ctx.close());

  /** Every URL to try: each path parameter replaced by every id we know (and both courses), lists with every filter. */
  function urls(): string[] {
    const ids = [...Object.values(course2).filter((v) => /^[0-9a-f-]{36}$/.test(v)), ...Object.values(course99)];
    const out: string[] = [];
    for (const path of getPaths) {
      const params = path.match(/\{[^}]+\}/g) ?? [];
      if (params.length === 0) {
        out.push(path, `${path}?format=csv`);
        for (const [name, value] of [['lmsCourseId', '2'], ['assessmentId', course2.assessmentId], ['mappingId', course2.mappingId], ['submissionId', course2.submissionId], ['connectionId', course2.connectionId]]) {
          out.push(`${path}?${name}=${value!}`);
        }
        continue;
      }
      let concrete = [path];
      for (const param of params) {
        const values = param === '{lmsCourseId}' ? ['2', '99'] : ids;
        concrete = concrete.flatMap((p) => values.map((v) => p.replace(param, v)));
      }
      out.push(...concrete, ...concrete.map((u) => `${u}?format=csv`));
    }
    return out;
  }

  function get(url: string, token: string) {
    return ctx.t.http.get(url).set('authorization', `Bearer ${token}`);
  }

  it('covers the read routes of the contract', () => {
    expect(getPaths).toEqual(expect.arrayContaining(['/api/v1/connections', '/api/v1/connections/{id}', '/api/v1/assessments/{id}', '/api/v1/mappings', '/api/v1/mappings/{id}', '/api/v1/submissions', '/api/v1/syncs/{id}', '/api/v1/courses/{lmsCourseId}/grades']));
  });

  it('the admin reaches course 2 through these URLs (so the check below is not vacuous)', async () => {
    let seen = '';
    for (const url of urls()) seen += (await get(url, ADMIN_TOKEN)).text;
    for (const [name, marker] of Object.entries(course2)) expect({ name, seen: seen.includes(marker) }).toEqual({ name, seen: true });
    expect(seen).toMatch(/"hint":"[^"]{2}"/);
    expect(seen).toContain(`"hint":"${CALLBACK_KEY.slice(-2)}"`);
  });

  it('the viewer limited to course 99 gets nothing of course 2, and sees its own course', async () => {
    let own = '';
    for (const url of urls()) {
      const res = await get(url, limited);
      const leaked = Object.entries(course2).filter(([, marker]) => res.text.includes(marker) && !url.includes(marker)).map(([name]) => name);
      const okStatus = (res.status >= 200 && res.status < 300) || [400, 403, 404].includes(res.status);
      expect({ url, status: okStatus ? 'fine' : res.status, leaked, hint: res.text.includes('"hint"') }).toEqual({ url, status: 'fine', leaked: [], hint: false });
      if (res.status === 200) own += res.text;
    }
    expect(own).toContain(course99.mappingId);
    expect(own).toContain(course99.connectionId);
    expect(own).toContain(course99.assessmentId);
    // Its 403s say why, for single rows of another course.
    for (const path of ['connections', 'assessments', 'mappings']) {
      const res = await get(`/api/v1/${path}/${course2[`${path.slice(0, -1)}Id`]!}`, limited);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
  });

  it('a viewer for every course sees all rows but never a key hint', async () => {
    for (const url of ['/api/v1/assessments', `/api/v1/assessments/${course2.assessmentId}`]) {
      const res = await get(url, unlimited).expect(200);
      expect(res.text).toContain(course2.assessmentId);
      expect(res.text).not.toContain('"hint"');
      expect(res.text).not.toContain('"keys"');
    }
  });
});
