import { AttemptPolicy } from '../mappings/mapping.entity';
import { Attempt, attemptPolicyObjection as objectionOf, Gradable, RivalAttempt } from './attempt-policy';
import { SyncState } from './sync.entity';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute));

/** The 0–9 scale. */
const onScale: Gradable = (score) => score !== null && score >= 0 && score <= 9;
const attemptPolicyObjection = (policy: AttemptPolicy, me: Attempt, rivals: RivalAttempt[]) => objectionOf(policy, me, rivals, onScale);

/** Arrival order follows the submission id, as seq does. */
const seqOf = (id: string) => id.split('').reduce((n, c) => n * 256 + c.charCodeAt(0), 0);

function self(score: number, minute: number, submissionId = `s-self`): Attempt {
  return { score, receivedAt: at(minute), submissionId, seq: seqOf(submissionId) };
}

function rival(score: number | null, minute: number, state: SyncState = 'synced', submissionId = `s-${minute}-${score}`): RivalAttempt {
  return { syncId: `sync-${submissionId}`, submissionId, state, score, receivedAt: at(minute), seq: seqOf(submissionId) };
}

describe.each<AttemptPolicy>(['latest', 'first', 'highest'])('policy %s', (policy) => {
  it('grades an attempt that has no rivals', () => {
    expect(attemptPolicyObjection(policy, self(5, 10), [])).toBeNull();
  });

  it('ignores a rival that failed (it will never be graded)', () => {
    const rivals = [rival(9, 0, 'failed'), rival(9, 20, 'failed')];
    expect(attemptPolicyObjection(policy, self(5, 10), rivals)).toBeNull();
  });

  it('ignores rivals whose score is missing or outside the scale, whatever their state', () => {
    const rivals = [rival(12, 0, 'pending'), rival(12, 20, 'queued'), rival(null, 30, 'pending'), rival(9.5, 40, 'skipped')];
    expect(attemptPolicyObjection(policy, self(5, 10), rivals)).toBeNull();
  });

  it.each<SyncState>(['skipped', 'blocked', 'paused'])('lets a gradable rival that is %s compete (it lost, held, or waits; it is still an attempt)', (state) => {
    const objection = attemptPolicyObjection(policy, self(5, 10), [rival(9, 0, state, 'a'), rival(9, 20, state, 'z')]);
    expect(objection).not.toBeNull();
  });

  it('grades exactly one of a group of live attempts', () => {
    const attempts = [
      { score: 6, minute: 1, id: 'a' },
      { score: 8, minute: 2, id: 'b' },
      { score: 8, minute: 3, id: 'c' },
      { score: 7, minute: 3, id: 'd' },
      { score: 5, minute: 4, id: 'e' },
    ];
    const graded = attempts.filter((me) => {
      const others = attempts.filter((o) => o !== me).map((o) => rival(o.score, o.minute, 'synced', o.id));
      return attemptPolicyObjection(policy, self(me.score, me.minute, me.id), others) === null;
    });
    expect(graded).toHaveLength(1);
    const expected = { latest: 'e', first: 'a', highest: 'b' }[policy];
    expect(graded[0]!.id).toBe(expected);
  });
});

describe('latest', () => {
  it.each<SyncState>(['synced', 'pending', 'queued'])('objects when a later attempt is %s', (state) => {
    const objection = attemptPolicyObjection('latest', self(9, 10), [rival(1, 20, state, 'later')]);
    expect(objection).toContain('"latest"');
    expect(objection).toContain('later');
  });

  it('grades this attempt over earlier ones, whatever their score', () => {
    expect(attemptPolicyObjection('latest', self(1, 10), [rival(9, 0), rival(8, 5, 'pending')])).toBeNull();
  });

  it('breaks a tie on arrival time by arrival order', () => {
    expect(attemptPolicyObjection('latest', self(5, 10, 'b'), [rival(5, 10, 'synced', 'a')])).toBeNull();
    expect(attemptPolicyObjection('latest', self(5, 10, 'a'), [rival(5, 10, 'synced', 'b')])).not.toBeNull();
  });
});

describe('first', () => {
  it.each<SyncState>(['synced', 'pending', 'queued'])('objects when an earlier attempt is %s', (state) => {
    const objection = attemptPolicyObjection('first', self(9, 10), [rival(1, 0, state, 'earlier')]);
    expect(objection).toContain('"first"');
    expect(objection).toContain('earlier');
  });

  it('grades this attempt when every rival came later', () => {
    expect(attemptPolicyObjection('first', self(1, 10), [rival(9, 20), rival(9, 30)])).toBeNull();
  });

  it('breaks a tie on arrival time by arrival order', () => {
    expect(attemptPolicyObjection('first', self(5, 10, 'a'), [rival(5, 10, 'synced', 'b')])).toBeNull();
    expect(attemptPolicyObjection('first', self(5, 10, 'b'), [rival(5, 10, 'synced', 'a')])).not.toBeNull();
  });
});

describe('highest', () => {
  it('objects when a live rival scored higher, earlier or later', () => {
    expect(attemptPolicyObjection('highest', self(6, 10), [rival(7, 0, 'synced', 'better')])).toContain('better');
    expect(attemptPolicyObjection('highest', self(6, 10), [rival(7, 20, 'pending', 'better')])).toContain('better');
  });

  it('grades this attempt over lower rivals', () => {
    expect(attemptPolicyObjection('highest', self(7, 10), [rival(6.5, 0), rival(5, 20, 'queued')])).toBeNull();
  });

  it('lets the earlier of two equal scores win', () => {
    expect(attemptPolicyObjection('highest', self(7, 10), [rival(7, 0, 'synced', 'earlier')])).toContain('earlier');
    expect(attemptPolicyObjection('highest', self(7, 10), [rival(7, 20, 'synced', 'later')])).toBeNull();
  });

  it('ignores a rival without a score', () => {
    expect(attemptPolicyObjection('highest', self(1, 10), [rival(null, 0)])).toBeNull();
  });

  it('ignores a higher rival that will never be graded', () => {
    expect(attemptPolicyObjection('highest', self(1, 10), [rival(9, 0, 'failed')])).toBeNull();
  });

  it('says which attempt won and with what score', () => {
    const objection = attemptPolicyObjection('highest', self(6, 10), [rival(8.5, 0, 'synced', 'sub-42')]);
    expect(objection).toContain('sub-42');
    expect(objection).toContain('8.5');
    expect(objection).toMatch(/\b6\b/);
  });
});
