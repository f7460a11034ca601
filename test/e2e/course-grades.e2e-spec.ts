import { GradeSyncContext, SITE, Views } from '../support/grade-sync-context';

const COURSE3 = { courseId: 3, assign: { id: 30, cmid: 31 } };
const ACCESS_EXCEPTION = { kind: 'error', errorcode: 'accessexception', exception: 'webservice_access_exception', message: 'Access control exception' } as const;
const CSV_HEADER = [
  'mappingId', 'targetType', 'cmid', 'scoreField', 'userRef', 'lmsUserId', 'overall', 'pronunciation', 'fluency', 'vocab', 'grammar',
  'receivedAt', 'syncState', 'syncReason', 'syncedGrade', 'syncedAt', 'submissionId', 'syncId',
];

interface GradeRow {
  mappingId: string;
  target: { type: string; cmid: number };
  scoreField: string;
  userRef: string;
  lmsUserId: number | null;
  submissionId: string;
  scores: Record<string, number | undefined>;
  receivedAt: string;
  syncId: string;
  syncState: string;
  syncReason: string | null;
  syncedGrade: number | null;
  syncedAt: string | null;
}

/** RFC 4180 parser (quoted cells, doubled quotes, CRLF), independent of the code under test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += c;
    }
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** What a JSON row should look like as CSV cells (text that looks like a formula gets a leading apostrophe). */
function expectedCells(r: GradeRow): string[] {
  const text = (v: string | null) => (v === null ? '' : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return [
    r.mappingId, r.target.type, String(r.target.cmid), r.scoreField, text(r.userRef), num(r.lmsUserId),
    num(r.scores.overall), num(r.scores.pronunciation), num(r.scores.fluency), num(r.scores.vocab), num(r.scores.grammar),
    r.receivedAt, r.syncState, text(r.syncReason), num(r.syncedGrade), r.syncedAt ?? '', r.submissionId, r.syncId,
  ];
}

describe('course grade view (GET /api/v1/courses/:lmsCourseId/grades)', () => {
  let ctx: GradeSyncContext;
  let assign: Views, lti: Views, byIdnumber: Views, other: Views;
  const latest: Record<string, { syncId: string; submissionId: string; sync: Views }> = {};
  let viewer: string;

  const waitSync = async (res: { status: number; body: { syncs: { id: string }[]; submissionId: string } }) => {
    expect(res.status).toBe(202);
    expect(res.body.syncs).toHaveLength(1);
    const sync = await ctx.waitForFinal(res.body.syncs[0]!.id);
    return { sync, syncId: sync.id, submissionId: res.body.submissionId };
  };
  const send = async (courseId: string, body: Record<string, unknown>) => waitSync(await ctx.postCallback(ctx.callbackBody({ courseId, ...body })));
  const grades = (path: string) => ctx.admin('get', path);

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    ctx.sim.addCourse({ id: COURSE3.courseId });
    for (const s of SITE.students) ctx.sim.enrol(COURSE3.courseId, s.id);
    ctx.sim.addAssignment({ id: COURSE3.assign.id, cmid: COURSE3.assign.cmid, courseId: COURSE3.courseId });

    assign = await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'g-assign' })).id });
    lti = await ctx.newMapping({
      assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'g-lti' })).id,
      target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid, itemNumber: 0 },
      scoreField: 'pronunciation',
    });
    byIdnumber = await ctx.newMapping({
      assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'g-idnumber' })).id,
      target: { type: 'assign', assignmentId: SITE.assignNoComments.id, cmid: SITE.assignNoComments.cmid },
      userMatch: 'idnumber',
    });
    other = await ctx.newMapping({
      assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'g-other' })).id,
      lmsCourseId: COURSE3.courseId,
      target: { type: 'assign', assignmentId: COURSE3.assign.id, cmid: COURSE3.assign.cmid },
    });

    // Student 4: two attempts, both synced; the later one is what Moodle holds.
    await send('g-assign', { userId: '4', score: { overall: 4.5, pronunciation: 5 } });
    latest.assign4 = await send('g-assign', { userId: '4', score: { overall: 6.3, pronunciation: 6, fluency: 5.5 } });
    // Student 5: one synced attempt, then a later one that Moodle refuses: Moodle still holds the first.
    latest.first5 = await send('g-assign', { userId: '5', score: { overall: 2.7 } });
    ctx.sim.failNext(1, ACCESS_EXCEPTION, { wsfunction: 'mod_assign_save_grades' });
    latest.assign5 = await send('g-assign', { userId: '5', score: { overall: 8.1 } });
    ctx.sim.clearFaults();
    latest.lti4 = await send('g-lti', { userId: '4', score: { overall: 7, pronunciation: 4.5 } });
    // User references a spreadsheet would take for formulas; no such Moodle users, so they fail.
    latest.minus = await send('g-idnumber', { userId: '-2+3', score: { overall: 1 } });
    latest.at = await send('g-idnumber', { userId: '@SUM', score: { overall: 1 } });
    latest.other = await send('g-other', { userId: '4', score: { overall: 9 } });

    const created = await ctx.admin('post', '/api/v1/tokens').send({ name: 'SPEECH101 instructors', role: 'viewer', lmsCourseIds: [2] });
    expect(created.status).toBe(201);
    viewer = created.body.token as string;
  });
  afterAll(() => ctx.close());

  it('has one row per mapping and student: the latest attempt, its sync, and the grade Moodle holds from us', async () => {
    const res = await grades('/api/v1/courses/2/grades').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.lmsCourseId).toBe(2);
    const rows = res.body.rows as GradeRow[];
    expect(rows.map((r) => [r.mappingId, r.userRef])).toEqual([
      [assign.id, '4'],
      [assign.id, '5'],
      [lti.id, '4'],
      [byIdnumber.id, '-2+3'],
      [byIdnumber.id, '@SUM'],
    ]);
    const [a4, a5, l4, minus] = rows;

    expect(a4).toMatchObject({
      target: { type: 'assign', assignmentId: SITE.assignWithComments.id, cmid: SITE.assignWithComments.cmid },
      scoreField: 'overall',
      lmsUserId: 4,
      submissionId: latest.assign4!.submissionId,
      syncId: latest.assign4!.syncId,
      scores: { overall: 6.3, pronunciation: 6, fluency: 5.5 },
      syncState: 'synced',
      syncedGrade: 70,
    });
    expect(a4!.syncedAt).toEqual(expect.any(String));
    expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 4)).toBe(70);

    expect(a5).toMatchObject({ submissionId: latest.assign5!.submissionId, scores: { overall: 8.1 }, syncState: 'failed', lmsUserId: 5, syncedGrade: 30 });
    expect(a5!.syncReason).toMatch(/accessexception/);
    expect(a5!.syncedAt).toBe(latest.first5!.sync.syncedAt);
    expect(ctx.sim.assignGradeOf(SITE.assignWithComments.id, 5)).toBe(30);

    expect(l4).toMatchObject({ target: { type: 'activity', component: 'mod_lti', cmid: SITE.lti.cmid }, scoreField: 'pronunciation', syncState: 'synced', syncedGrade: 50 });
    expect(minus).toMatchObject({ syncState: 'failed', syncedGrade: null, syncedAt: null, lmsUserId: null });
    expect(minus!.syncReason).toMatch(/no Moodle user has idnumber "-2\+3"/);
    expect(rows.map((r) => r.mappingId)).not.toContain(other.id);
  });

  it('answers only rows of the course asked for, and none for a course without mappings', async () => {
    const course3 = await grades('/api/v1/courses/3/grades').expect(200);
    expect(course3.body.rows.map((r: GradeRow) => [r.mappingId, r.userRef, r.syncedGrade])).toEqual([[other.id, '4', 100]]);
    const empty = await grades('/api/v1/courses/99/grades').expect(200);
    expect(empty.body).toEqual({ lmsCourseId: 99, rows: [] });
  });

  it('answers CSV for Accept: text/csv or ?format=csv that parses back to the same rows', async () => {
    const json = (await grades('/api/v1/courses/2/grades').expect(200)).body.rows as GradeRow[];
    const csv = await grades('/api/v1/courses/2/grades').set('accept', 'text/csv').buffer(true).parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="course-2-grades.csv"');
    const text = csv.body as string;
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(CSV_HEADER);
    expect(rows).toEqual(json.map(expectedCells));

    // Formula-looking text is defused; a reason with commas and quotes is quoted.
    expect(text).toContain(`,'-2+3,`);
    expect(text).toContain(`,'@SUM,`);
    expect(text).toContain(`"no Moodle user has idnumber ""-2+3"" (`);
    const accessRow = text.split('\r\n').find((line) => line.includes(latest.assign5!.syncId))!;
    expect(accessRow).toMatch(/,"Moodle error accessexception: [^"]*, [^"]*",/);

    const byQuery = await grades('/api/v1/courses/2/grades?format=csv').buffer(true).parse((res, done) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(null, body));
    });
    expect(byQuery.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(byQuery.body).toBe(text);

    const forcedJson = await grades('/api/v1/courses/2/grades?format=json').set('accept', 'text/csv').expect(200);
    expect(forcedJson.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers 400 for a bad course id or format', async () => {
    for (const path of ['/api/v1/courses/abc/grades', '/api/v1/courses/0/grades', '/api/v1/courses/2/grades?format=xml', '/api/v1/courses/2/grades?sort=name']) {
      const res = await grades(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
    const bad = await grades('/api/v1/courses/2/grades?format=xml');
    expect(JSON.stringify(bad.body.message)).toMatch(/format must be one of json, csv/);
    const badId = await grades('/api/v1/courses/abc/grades');
    expect(JSON.stringify(badId.body.message)).toMatch(/lmsCourseId must be an LMS course id/);
  });

  it('lets a viewer limited to course 2 read course 2 (JSON and CSV) but not course 3', async () => {
    const asViewer = (path: string) => ctx.t.http.get(path).set('authorization', `Bearer ${viewer}`);
    const json = await asViewer('/api/v1/courses/2/grades').expect(200);
    expect(json.body.rows).toHaveLength(5);
    const csv = await asViewer('/api/v1/courses/2/grades?format=csv').expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const denied = await asViewer('/api/v1/courses/3/grades');
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/may not see LMS course 3/);
    await asViewer('/api/v1/courses/3/grades?format=csv').expect(403);
    await ctx.t.http.get('/api/v1/courses/2/grades').expect(401);
  });
});
