import express from 'express';
import { GradeSyncContext } from '../support/grade-sync-context';

/** TRUSTED_PROXIES sets both the callback route's client address (rate limit, stored sourceIp) and Express's trust proxy. */
describe('TRUSTED_PROXIES=none', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start({ TRUSTED_PROXIES: 'none' });
  });
  afterAll(() => ctx.close());

  it('stores the socket address, not X-Forwarded-For, and Express trusts no proxy either', async () => {
    const mapping = await ctx.newMapping();
    expect(mapping.id).toBeDefined();
    const res = await ctx.postCallback(ctx.callbackBody()).set('x-forwarded-for', '198.51.100.77').expect(202);
    const [row] = (await ctx.t.db.query('SELECT source_ip FROM submissions WHERE id = $1', [res.body.submissionId])) as { source_ip: string }[];
    expect(row!.source_ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    const trust = (ctx.t.app.getHttpAdapter().getInstance() as express.Express).get('trust proxy fn') as (address: string, hop: number) => boolean;
    expect(trust('127.0.0.1', 0)).toBe(false);
    expect(trust('172.18.0.5', 0)).toBe(false);
  });
});

describe('TRUSTED_PROXIES default (loopback)', () => {
  let ctx: GradeSyncContext;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  it('believes X-Forwarded-For from a loopback proxy only', async () => {
    await ctx.newMapping();
    const res = await ctx.postCallback(ctx.callbackBody()).set('x-forwarded-for', '198.51.100.77').expect(202);
    const [row] = (await ctx.t.db.query('SELECT source_ip FROM submissions WHERE id = $1', [res.body.submissionId])) as { source_ip: string }[];
    expect(row!.source_ip).toBe('198.51.100.77');
    const trust = (ctx.t.app.getHttpAdapter().getInstance() as express.Express).get('trust proxy fn') as (address: string, hop: number) => boolean;
    expect(trust('127.0.0.1', 0)).toBe(true);
    expect(trust('172.18.0.5', 0)).toBe(false);
    expect(trust('10.1.2.3', 0)).toBe(false);
  });
});
