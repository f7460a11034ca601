import { ADMIN_TOKEN } from '../support/test-app';
import { GradeSyncContext } from '../support/grade-sync-context';

describe('queue dashboard (/admin/queues)', () => {
  let ctx: GradeSyncContext;
  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
  });
  afterAll(() => ctx.close());

  it('asks for credentials without them and refuses unknown tokens', async () => {
    const none = await ctx.t.http.get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic/);
    await ctx.t.http.get('/admin/queues').set('authorization', 'Bearer not-a-token').expect(401);
  });

  it('refuses a viewer token', async () => {
    const created = await ctx.admin('post', '/api/v1/tokens').send({ name: 'viewer', role: 'viewer' }).expect(201);
    await ctx.t.http.get('/admin/queues').set('authorization', `Bearer ${created.body.token as string}`).expect(403);
  });

  it('shows the grade-sync queue to an admin, by bearer token or as the Basic auth password', async () => {
    await ctx.t.http.get('/admin/queues').set('authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`;
    const queues = await ctx.t.http.get('/admin/queues/api/queues').set('authorization', basic).expect(200);
    expect(JSON.stringify(queues.body)).toContain('grade-sync');
  });
});
