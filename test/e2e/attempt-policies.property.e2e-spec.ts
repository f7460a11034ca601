import fc from 'fast-check';
import { GradeSyncContext, SITE } from '../support/grade-sync-context';
import { giveDatabaseBack, takeDatabaseAway } from '../support/test-env';
import { waitFor } from '../support/wait';

type Policy = 'latest' | 'first' | 'highest';

/** What happens to one callback, in order. */
type Step =
  | { kind: 'send'; student: number; zero: boolean; score: number }
  /** The last callback sent for the student, byte for byte again (a network repeat). */
  | { kind: 'repeat'; student: number }
  /** Answered 503 (the database is down for it); Speechace sends it again at the next `retry`, or at the end. */
  | { kind: 'refused'; student: number; zero: boolean; score: number }
  | { kind: 'retry' }
  /** Wait for every sync so far to finish, so that the next callbacks meet decided rivals. */
  | { kind: 'drain' };

const SCALE_MAX = 9;
/** Equal and half-band scores collide often; 12 is outside the 0–9 scale. */
const SCORES = [0, 4.5, 7, 7, 9, 12];

/**
 * The reference model: README "Attempt policies" and "Repeats" in a few lines. A callback is a
 * repeat when its bytes equal the latest stored callback of the same user reference; an attempt is
 * ordered by when it was first sent; only scores on the scale compete; the policy picks one.
 */
function expectedGrades(policy: Policy, steps: Step[], initial: (number | null)[]): (number | null)[] {
  interface Attempt { student: number; score: number; order: number }
  const attempts: Attempt[] = [];
  const lastByRef = new Map<string, string>();
  const lastBody = new Map<number, { ref: string; bytes: string; score: number }>();
  const refused: { ref: string; bytes: string; score: number; student: number; order: number }[] = [];
  const store = (student: number, ref: string, bytes: string, score: number, order: number) => {
    if (lastByRef.get(ref) === bytes) return;
    lastByRef.set(ref, bytes);
    attempts.push({ student, score, order });
  };
  const retryOne = () => {
    const r = refused.shift();
    if (r) store(r.student, r.ref, r.bytes, r.score, r.order);
  };
  steps.forEach((step, t) => {
    if (step.kind === 'send') {
      const ref = refOf(step.student, step.zero);
      const sent = { ref, bytes: `${ref}|${step.score}`, score: step.score };
      lastBody.set(step.student, sent);
      store(step.student, sent.ref, sent.bytes, sent.score, t);
    } else if (step.kind === 'repeat') {
      const last = lastBody.get(step.student);
      if (last) store(step.student, last.ref, last.bytes, last.score, t);
    } else if (step.kind === 'refused') {
      const ref = refOf(step.student, step.zero);
      refused.push({ student: step.student, ref, bytes: `${ref}|${step.score}`, score: step.score, order: t });
    } else if (step.kind === 'retry') {
      retryOne();
    }
  });
  while (refused.length > 0) retryOne();

  return initial.map((held, student) => {
    const gradable = attempts.filter((a) => a.student === student && a.score >= 0 && a.score <= SCALE_MAX);
    if (gradable.length === 0) return held;
    const winner = gradable.reduce((best, a) => {
      if (policy === 'latest') return a.order > best.order ? a : best;
      if (policy === 'first') return a.order < best.order ? a : best;
      return a.score > best.score || (a.score === best.score && a.order < best.order) ? a : best;
    });
    return Math.round((winner.score / SCALE_MAX) * 100 * 1e5) / 1e5;
  });
}

/** Students are numbered 0 and 1 in a run; their Moodle ids are fresh for each run. */
let ids: number[] = [];
const refOf = (student: number, zero: boolean) => `${zero ? '0' : ''}${ids[student]}`;

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), student: fc.integer({ min: 0, max: 1 }), zero: fc.boolean(), score: fc.constantFrom(...SCORES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), student: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refused' as const), student: fc.integer({ min: 0, max: 1 }), zero: fc.boolean(), score: fc.constantFrom(...SCORES) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retry' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

/** At most one refused callback per run: each costs a database outage of its own. */
const scenario = fc.record({
  policy: fc.constantFrom<Policy>('latest', 'first', 'highest'),
  initial: fc.constantFrom<number | null>(null, 70),
  steps: fc.array(step, { minLength: 1, maxLength: 7 }).filter((s) => s.filter((x) => x.kind === 'refused').length <= 1),
});

describe('attempt policies, property: the final Moodle grade is the reference model\'s', () => {
  let ctx: GradeSyncContext;
  let run = 0;
  let nextId = 5000;
  const item = () => ctx.sim.gradeItemIdFor(SITE.lti.cmid);

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ SYNC_LEASE_MS: '3000' });
  });
  afterAll(async () => {
    await giveDatabaseBack(ctx.t.config.DATABASE_URL);
    await ctx.close();
  });

  /** Until no sync of the mapping is open, twice in a row (a re-decided loser reopens). */
  async function drain(mappingId: string): Promise<void> {
    const open = async () =>
      Number(((await ctx.t.db.query(`SELECT count(*) AS n FROM syncs WHERE mapping_id = $1 AND state IN ('pending', 'queued', 'paused')`, [mappingId])) as { n: string }[])[0]!.n);
    await waitFor('every sync to finish', async () => ((await open()) === 0 ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 150));
    await waitFor('every sync to finish', async () => ((await open()) === 0 ? true : undefined), 20_000);
  }

  async function refusedPost(body: Record<string, unknown>): Promise<void> {
    await takeDatabaseAway(ctx.t.config.DATABASE_URL);
    try {
      expect((await ctx.postCallback(body)).status).toBe(503);
    } finally {
      await giveDatabaseBack(ctx.t.config.DATABASE_URL);
    }
  }

  /** Posts until the database takes it again (after an outage the pool reconnects). */
  async function post(body: Record<string, unknown>): Promise<void> {
    await waitFor('the callback to be stored', async () => {
      const res = await ctx.postCallback(body);
      return res.status === 202 || res.status === 200 ? true : undefined;
    });
  }

  it('for generated interleavings of attempts, repeats, out-of-scale scores, look-alike user references and retries after 503', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ policy, initial, steps }) => {
        const courseId = `prop-${++run}`;
        ids = [++nextId, ++nextId];
        for (const id of ids) {
          ctx.sim.addUser({ id, username: `p${id}`, email: `p${id}@example.edu`, idnumber: `P${id}` });
          ctx.sim.enrol(SITE.courseId, id);
        }
        if (initial !== null) ctx.sim.setGrade(item(), ids[0]!, initial);
        const mapping = await ctx.newMapping({
          assessmentId: (await ctx.newAssessment({ speechaceCourseId: courseId })).id,
          target: { type: 'activity', component: SITE.lti.component, cmid: SITE.lti.cmid },
          attemptPolicy: policy,
        });
        const body = (student: number, zero: boolean, score: number) => {
          const b = ctx.callbackBody({ courseId, userId: refOf(student, zero), score: { overall: score } });
          delete b.reportUrl;
          return b;
        };
        const last = new Map<number, Record<string, unknown>>();
        const refused: Record<string, unknown>[] = [];
        for (const s of steps) {
          if (s.kind === 'send') {
            last.set(s.student, body(s.student, s.zero, s.score));
            await post(last.get(s.student)!);
          } else if (s.kind === 'repeat') {
            const again = last.get(s.student);
            if (again) await post(again);
          } else if (s.kind === 'refused') {
            await drain(mapping.id); // no worker mid-transaction when the database goes away
            const b = body(s.student, s.zero, s.score);
            await refusedPost(b);
            refused.push(b);
          } else if (s.kind === 'retry') {
            const b = refused.shift();
            if (b) await post(b);
          } else {
            await drain(mapping.id);
          }
        }
        for (const b of refused.splice(0)) await post(b);
        await drain(mapping.id);

        const expected = expectedGrades(policy, steps, [initial, null]);
        const actual = ids.map((id) => ctx.sim.gradeOf(item(), id).raw);
        expect(actual).toEqual(expected);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 24), seed: Number(process.env.PROPERTY_SEED ?? 20261201), endOnFailure: true },
    );
  }, Number(process.env.PROPERTY_RUNS ?? 24) * 5_000);
});
