import { randomUUID } from 'node:crypto';
import { IntakeRepository, NewSubmission } from '../../src/intake/intake.repository';
import { SubmissionEntity } from '../../src/submissions/submission.entity';
import { SyncEntity } from '../../src/sync/sync.entity';
import { GradeSyncContext } from '../support/grade-sync-context';

/** Callbacks that arrive together are stored in one statement; each still gets its own, correct answer. */
describe('intake group commit', () => {
  let ctx: GradeSyncContext;
  let mapping: { id: string; assessmentId: string };

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    mapping = (await ctx.newMapping({ assessmentId: (await ctx.newAssessment({ speechaceCourseId: 'group-1' })).id })) as typeof mapping;
  });
  afterAll(() => ctx.close());

  const submission = (userRef: string, overrides: Partial<NewSubmission> = {}): NewSubmission => ({
    dedupeHash: randomUUID(),
    assessmentId: mapping.assessmentId,
    speechaceCourseId: 'group-1',
    speechaceQuizId: 'q1',
    speechaceUserId: userRef,
    userRef,
    queryCourseId: null,
    queryTestId: null,
    scores: { overall: 7 },
    reportUrl: null,
    version: null,
    rawBody: `{"userId":"${userRef}"}`,
    contentType: 'application/json',
    rawQuery: null,
    sourceIp: '127.0.0.1',
    signedMappingId: null,
    bodyHash: null,
    firstSeenAt: null,
    ...overrides,
  });

  it('answers 100 different callbacks sent at once each with its own submission and sync', async () => {
    const users = Array.from({ length: 100 }, (_, i) => String(7000 + i));
    const answers = await Promise.all(users.map((userId) => ctx.postCallback(ctx.callbackBody({ courseId: 'group-1', userId, reportUrl: `https://speak.speechace.co/r/${userId}` }))));
    expect(answers.map((a) => a.status)).toEqual(users.map(() => 202));
    const submissions = ctx.t.db.getRepository(SubmissionEntity);
    const syncs = ctx.t.db.getRepository(SyncEntity);
    for (const [i, answer] of answers.entries()) {
      expect((await submissions.findOneByOrFail({ id: answer.body.submissionId })).userRef).toBe(users[i]);
      expect(answer.body.syncs).toHaveLength(1);
      expect(await syncs.findOneByOrFail({ id: answer.body.syncs[0].id })).toMatchObject({ submissionId: answer.body.submissionId, mappingId: mapping.id, userRef: users[i] });
    }
    expect(new Set(answers.map((a) => a.body.submissionId)).size).toBe(100);
  });

  it('stores the others when one callback of a group cannot be stored, and treats a repeat within a group as a repeat', async () => {
    const intake = ctx.t.app.get(IntakeRepository);
    const repeat = submission('8050');
    const items = Array.from({ length: 20 }, (_, i) => submission(String(8000 + i)));
    // No such assessment: this row breaks the statement it shares with others (foreign key).
    items[10] = submission('8010', { assessmentId: randomUUID() });
    items[12] = repeat;
    items[13] = { ...repeat };
    // All in the same tick: the first few go alone, the rest wait and are stored together.
    const results = await Promise.allSettled(items.map((s) => intake.store(s)));
    expect(results.map((r) => r.status)).toEqual(items.map((_, i) => (i === 10 ? 'rejected' : 'fulfilled')));
    const stored = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
    expect(stored[12]).toMatchObject({ duplicate: false, syncs: [{ mappingId: mapping.id }] });
    expect(stored[13]).toEqual({ ...stored[12], duplicate: true });
    const ids = stored.filter((s, i) => s !== null && i !== 13).map((s) => s!.submissionId);
    expect(new Set(ids).size).toBe(18);
    expect(await ctx.t.db.getRepository(SubmissionEntity).countBy({ userRef: '8010' })).toBe(0);
  });
});
