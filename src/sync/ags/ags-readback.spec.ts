import { decideReadBack } from './ags-readback';

const sent = { grade: 80, scoreMaximum: 100, second: 1_796_100_000, answer: 'written' as const };
const result = (resultScore: number | null, timestamp: string | null, resultMaximum = 100) => ({ userId: '4', resultScore, resultMaximum, comment: null, timestamp });

describe('decideReadBack', () => {
  it('is synced when the platform holds our grade (also on another maximum)', () => {
    expect(decideReadBack(sent, result(80, null), false)).toMatchObject({ kind: 'done', outcome: { state: 'synced', reason: null } });
    expect(decideReadBack(sent, result(8, null, 10), false)).toMatchObject({ kind: 'done', outcome: { state: 'synced' } });
  });

  it('reads a 409 whose result equals ours as applied', () => {
    expect(decideReadBack({ ...sent, answer: 'conflict' }, result(80, null), false)).toMatchObject({ kind: 'done', outcome: { state: 'synced', reason: expect.stringContaining('409') } });
  });

  it('counts a result without a score as 0 (Moodle leaves a zero grade out)', () => {
    expect(decideReadBack({ ...sent, grade: 0 }, result(null, null), false)).toMatchObject({ kind: 'done', outcome: { state: 'synced' } });
  });

  it('blocks on a 409 with another, newer grade, saying what the platform holds', () => {
    const later = new Date((sent.second + 30) * 1000).toISOString();
    const decided = decideReadBack({ ...sent, answer: 'conflict' }, result(55, later), false);
    expect(decided).toMatchObject({ kind: 'done', outcome: { state: 'blocked', errorCode: 'platform_newer_grade', reason: expect.stringContaining('55 of 100') } });
  });

  it('sends once more a second later when the other grade is of the same whole second', () => {
    const same = new Date(sent.second * 1000 + 400).toISOString();
    expect(decideReadBack({ ...sent, answer: 'conflict' }, result(55, same), false)).toEqual({ kind: 'resend', atSecond: sent.second + 1 });
    expect(decideReadBack({ ...sent, answer: 'conflict' }, result(55, same), true)).toMatchObject({ kind: 'done', outcome: { state: 'blocked' } });
  });

  it('retries when an accepted write does not show', () => {
    expect(decideReadBack(sent, null, false)).toMatchObject({ kind: 'retry' });
  });
});
