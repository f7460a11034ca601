import { RefusedCallbacks } from './refused-callbacks';

describe('RefusedCallbacks', () => {
  it('keeps the first time a callback was refused until it is stored', () => {
    const refused = new RefusedCallbacks();
    expect(refused.firstSeen('a')).toBeNull();
    refused.remember('a', 1000);
    refused.remember('a', 5000);
    expect(refused.firstSeen('a', 6000)).toEqual(new Date(1000));
    refused.forget('a');
    expect(refused.firstSeen('a')).toBeNull();
  });

  it('forgets a refusal older than a day', () => {
    const refused = new RefusedCallbacks();
    refused.remember('a', 0);
    expect(refused.firstSeen('a', 25 * 60 * 60 * 1000)).toBeNull();
  });
});
