import { AgsAccessToken, AgsTokenCache, renewAt } from './ags-token.cache';

const token = (value: string, inMs = 3_600_000): AgsAccessToken => ({ value, scopes: [], renewAt: Date.now() + inMs });

describe('AgsTokenCache', () => {
  it('stops using a token a minute before it expires (a tenth of a short life)', () => {
    expect(renewAt(3600, 0)).toBe(3_540_000);
    expect(renewAt(100, 0)).toBe(90_000);
  });

  it('serves one token until its renewal time, and shares one request among concurrent askers', async () => {
    const cache = new AgsTokenCache();
    let asked = 0;
    const fetchToken = async () => token(`t${++asked}`);
    const [a, b] = await Promise.all([cache.get('c1', 'k', fetchToken), cache.get('c1', 'k', fetchToken)]);
    expect([a.value, b.value, asked]).toEqual(['t1', 't1', 1]);
    expect((await cache.get('c1', 'k', fetchToken)).value).toBe('t1');
    expect((await cache.get('c2', 'k', fetchToken)).value).toBe('t2');
  });

  it('asks again for an expired token, for another key (rotated tool key, changed connection), and after invalidate', async () => {
    const cache = new AgsTokenCache();
    let asked = 0;
    await cache.get('c1', 'k', async () => token(`t${++asked}`, -1));
    expect((await cache.get('c1', 'k', async () => token(`t${++asked}`))).value).toBe('t2');
    expect((await cache.get('c1', 'k2', async () => token(`t${++asked}`))).value).toBe('t3');
    cache.invalidate('c1', 'not-the-current-one');
    expect((await cache.get('c1', 'k2', async () => token(`t${++asked}`))).value).toBe('t3');
    cache.invalidate('c1', 't3');
    expect((await cache.get('c1', 'k2', async () => token(`t${++asked}`))).value).toBe('t4');
  });

  it('does not keep a failed request', async () => {
    const cache = new AgsTokenCache();
    await expect(cache.get('c1', 'k', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect((await cache.get('c1', 'k', async () => token('t1'))).value).toBe('t1');
  });
});
