import { RecentReads } from './recent-reads';

describe('RecentReads', () => {
  it('shares a read in flight and a recent one, and reads again once it is too old', async () => {
    let now = 1000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const reads = new RecentReads<number>(5000);
      let sent = 0;
      const read = () => Promise.resolve(++sent);
      const [a, b] = await Promise.all([reads.get('k', read), reads.get('k', read)]);
      expect([a, b, sent]).toEqual([1, 1, 1]);
      now += 5000;
      expect(await reads.get('k', read)).toBe(1);
      expect(await reads.get('other', read)).toBe(2);
      now += 1;
      expect(await reads.get('k', read)).toBe(3);
    } finally {
      clock.mockRestore();
    }
  });

  it('shares only a read in flight when the caller may not reuse an answered one', async () => {
    const reads = new RecentReads<number>(5000);
    let sent = 0;
    const read = () => Promise.resolve(++sent);
    const [a, b] = await Promise.all([reads.get('k', read, false), reads.get('k', read, false)]);
    expect([a, b]).toEqual([1, 1]);
    expect(await reads.get('k', read, false)).toBe(2);
    expect(await reads.get('k', read)).toBe(2);
  });

  it('forgets a failed read at once', async () => {
    const reads = new RecentReads<number>(5000);
    await expect(reads.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await reads.get('k', () => Promise.resolve(7))).toBe(7);
  });
});
