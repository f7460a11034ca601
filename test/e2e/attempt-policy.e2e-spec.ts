import { GradeSyncContext, SITE } from '../support/grade-sync-context';

/** Several attempts of one student at one test: the mapping's attemptPolicy decides which one is the grade. */
describe('attempt policies', () => {
  let ctx: GradeSyncContext;
  let n = 0;
  const item = () => ctx.sim.gradeItemIdFor(SITE.lti.cmid)!;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  async function mappingWith(attemptPolicy: string) {
    const courseId = `policy-${attemptPolicy}-${++n}`;
    await ctx.newMapping({
      assessmentId: (await ctx.newAssessment({ speechaceCourseId: courseId })).id,
      target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid },
      attemptPolicy,
    });
    return (overall: number, userId = '4') => ctx.deliver(ctx.callbackBody({ courseId, userId, score: { overall } }));
  }

  it('latest: every newer attempt replaces the grade', async () => {
    const deliver = await mappingWith('latest');
    expect((await deliver(8.1)).state).toBe('synced');
    expect((await deliver(4.5)).state).toBe('synced');
    expect(ctx.sim.gradeOf(item(), 4).raw).toBe(50);
  });

  it('highest: a lower later attempt is skipped with a reason, a higher one replaces', async () => {
    const deliver = await mappingWith('highest');
    expect((await deliver(6.3)).state).toBe('synced');
    const lower = await deliver(4.5);
    expect(lower.state).toBe('skipped');
    expect(lower.reason).toMatch(/attempt policy "highest"/);
    expect(ctx.sim.gradeOf(item(), 4).raw).toBe(70);
    expect((await deliver(8.1)).state).toBe('synced');
    expect(ctx.sim.gradeOf(item(), 4).raw).toBe(90);
  });

  it('first: only the first attempt is graded', async () => {
    const deliver = await mappingWith('first');
    expect((await deliver(2.7, '5')).state).toBe('synced');
    const second = await deliver(9, '5');
    expect(second.state).toBe('skipped');
    expect(second.reason).toMatch(/attempt policy "first"/);
    expect(ctx.sim.gradeOf(item(), 5).raw).toBe(30);
  });

  it('skips a grade Moodle already holds instead of sending it again', async () => {
    const deliver = await mappingWith('latest');
    expect((await deliver(3.6)).state).toBe('synced');
    ctx.sim.clearCalls();
    const same = await deliver(3.6);
    expect(same.state).toBe('skipped');
    expect(same.reason).toMatch(/unchanged/);
    expect(ctx.sim.callsTo('core_grades_update_grades')).toHaveLength(0);
  });
});
