import { Server } from 'node:http';
import { Locator, Page } from 'playwright-core';
import { Browser, launchChromium, listen, pageProblems, screenshots } from './browser';
import { LtiPlatformSimulator, SimLineItem } from '../lti-platform-simulator/lti-platform-simulator';
import { CALLBACK_KEY, FINAL_STATES } from '../support/grade-sync-context';
import { LTI_SITE } from '../support/lti-sync-context';
import { ADMIN_TOKEN, createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

/**
 * An admin connects an LTI 1.3 platform (the simulator, answering as Moodle does) in the console:
 * the connection, a line-item mapping picked from the platform's list, the tool key and its
 * rotation; then a viewer, who sees none of it. Driven only by role and accessible name.
 */
describe('the admin console with an LTI 1.3 platform', () => {
  let t: TestApp;
  let platform: LtiPlatformSimulator;
  let item: SimLineItem;
  let origin: string;
  let browser: Browser;
  let page: Page;

  const admin = (method: 'get' | 'post', path: string) => t.http[method](path).set('authorization', `Bearer ${ADMIN_TOKEN}`);
  const callback = (userId: string, overall: number) =>
    t.http.post('/speechace/callback').send({ key: CALLBACK_KEY, courseId: 1234, quizId: 456, userId, score: { overall }, reportUrl: `https://speak.speechace.co/placement/report/${userId}-${overall}` }).expect(202);
  const syncOf = (id: string) =>
    waitFor(`sync ${id} to finish`, async () => {
      const sync = (await admin('get', `/api/v1/syncs/${id}`)).body as { state: string; reason: string | null };
      return FINAL_STATES.includes(sync.state) ? sync : undefined;
    }, 30_000);

  beforeAll(async () => {
    platform = await LtiPlatformSimulator.start();
    platform.state.enrol(LTI_SITE.courseId, ...LTI_SITE.students);
    platform.state.addLineItem(LTI_SITE.courseId, 'Reading quiz', 10);
    item = platform.state.addLineItem(LTI_SITE.courseId, 'Speaking test (LTI)', 100);
    t = await createTestApp();
    origin = await listen(t.app.getHttpServer() as Server);
    // The platform reads the service's JWKS at each token request, as a Moodle with "Keyset URL" does: a rotation reaches it by itself.
    platform.useKeysetUrl(`${origin}/.well-known/jwks.json`);
    await admin('post', '/api/v1/assessments').send({ name: 'Speaking test', speechaceCourseId: '1234', callbackKey: CALLBACK_KEY }).expect(201);
    browser = await launchChromium(origin);
    page = browser.page;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await platform?.close();
  });
  afterEach(() => {
    if (page) expect(pageProblems(page)).toEqual([]);
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
  const row = (table: string, ...texts: string[]) => texts.reduce<Locator>((l, text) => l.filter({ hasText: text }), page.getByRole('region', { name: table }).getByRole('row'));
  async function go(name: string) {
    await nav(name).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }
  async function signIn(token: string) {
    await page.goto(`${origin}/console`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  }
  async function errorBeside(label: string): Promise<string | null> {
    const field = page.getByLabel(label, { exact: true });
    await page.locator('[aria-invalid="true"]').first().waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await field.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'))!;
    return page.locator(`[id="${errorId}"]`).textContent();
  }

  it('creates an lti-ags connection through its form, with the API message beside the field, and tests it', async () => {
    await signIn(ADMIN_TOKEN);
    await go('Connections');
    await page.getByRole('button', { name: 'New connection' }).click();
    await page.getByLabel('Name').fill('Moodle via LTI');
    expect(await page.getByLabel('Kind').locator('option').allTextContents()).toEqual(['Moodle web services', 'LTI 1.3 Advantage (AGS)']);
    await page.getByLabel('Kind').selectOption({ label: 'LTI 1.3 Advantage (AGS)' });
    expect(await page.getByLabel('Moodle address').count()).toBe(0);
    await page.getByLabel('Issuer').fill(platform.issuer);
    await page.getByLabel('Client ID').fill(platform.clientId);
    await page.getByLabel('Deployment ID').fill(platform.deploymentId);
    await page.getByLabel('Token URL').fill('ftp://moodle.example.edu/mod/lti/token.php');
    await page.getByRole('button', { name: 'Create connection' }).click();
    expect(await errorBeside('Token URL')).toMatch(/^tokenUrl/);
    expect(await page.getByLabel('Issuer').getAttribute('aria-invalid')).toBeNull();
    await screenshots(page, 'lti-01-connection-form');

    await page.getByLabel('Token URL').fill(platform.tokenUrl);
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection Moodle via LTI saved' }).waitFor();
    await row('Connections', 'Moodle via LTI', 'lti-ags', platform.issuer).waitFor();
    const [stored] = (await admin('get', '/api/v1/connections').expect(200)).body as Record<string, unknown>[];
    expect(stored).toMatchObject({ kind: 'lti-ags', issuer: platform.issuer, clientId: platform.clientId, deploymentId: platform.deploymentId, tokenUrl: platform.tokenUrl, audience: platform.tokenUrl });

    await page.getByRole('button', { name: 'Test Moodle via LTI' }).click();
    const report = page.getByRole('region', { name: 'Connection test report' });
    await report.getByRole('heading', { name: 'Everything works' }).waitFor();
    await report.getByRole('heading', { name: 'Missing scopes' }).waitFor();
    await screenshots(page, 'lti-02-connection-test');
  });

  it('edits the lti-ags connection: its fields come back filled, a bad issuer is named beside the field', async () => {
    await page.getByRole('button', { name: 'Edit Moodle via LTI' }).click();
    expect(await page.getByLabel('Issuer').inputValue()).toBe(platform.issuer);
    expect(await page.getByLabel('Client ID').inputValue()).toBe(platform.clientId);
    expect(await page.getByLabel('Audience').inputValue()).toBe('');
    await page.getByLabel('Issuer').fill('moodle.example.edu');
    await page.getByRole('button', { name: 'Save connection' }).click();
    expect(await errorBeside('Issuer')).toMatch(/^issuer/);
    await page.getByLabel('Issuer').fill(platform.issuer);
    await page.getByLabel('Audience').fill(`${platform.tokenUrl}?aud`);
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection Moodle via LTI saved' }).waitFor();
    expect((await admin('get', '/api/v1/connections').expect(200)).body[0].audience).toBe(`${platform.tokenUrl}?aud`);
    // Emptying the audience puts the token URL back.
    await page.getByRole('button', { name: 'Edit Moodle via LTI' }).click();
    expect(await page.getByLabel('Audience').inputValue()).toBe(`${platform.tokenUrl}?aud`);
    await page.getByLabel('Audience').fill('');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection Moodle via LTI saved' }).waitFor();
    expect((await admin('get', '/api/v1/connections').expect(200)).body[0].audience).toBe(platform.tokenUrl);
  });

  it('creates a line-item mapping by picking the line item the platform lists, and a callback syncs', async () => {
    await go('Mappings');
    await page.getByRole('button', { name: 'New mapping' }).click();
    await page.getByLabel('Assessment').selectOption({ label: 'Speaking test (1234)' });
    await page.getByLabel('Connection').selectOption({ label: 'Moodle via LTI' });
    expect(await page.getByLabel('Item type').count()).toBe(0);
    expect(await page.getByLabel('Match users on').locator('option').allTextContents()).toEqual(["The platform's user id"]);
    await page.getByLabel('LMS course id').fill(String(LTI_SITE.courseId));
    const picker = page.getByLabel('Line item', { exact: true });
    await picker.locator('option', { hasText: 'Speaking test (LTI) (max 100)' }).waitFor({ state: 'attached' });
    expect(await picker.locator('option').allTextContents()).toEqual(['Choose a line item', 'Reading quiz (max 10)', 'Speaking test (LTI) (max 100)']);
    await picker.selectOption({ label: 'Speaking test (LTI) (max 100)' });
    expect(await page.getByLabel('Line item URL').inputValue()).toBe(platform.lineItemUrl(item));
    await page.getByLabel('Score field').selectOption('overall');
    await screenshots(page, 'lti-03-mapping-form');
    await page.getByRole('button', { name: 'Create mapping' }).click();
    await row('Mappings', 'Speaking test', 'Moodle via LTI', platform.lineItemUrl(item)).waitFor();

    const sync = (await callback('4', 7.2)).body.syncs[0].id as string;
    await go('Syncs');
    await row('Syncs', 'synced').filter({ has: page.getByRole('cell', { name: '4', exact: true }) }).waitFor({ timeout: 30_000 });
    expect(await syncOf(sync)).toMatchObject({ state: 'synced' });
    expect(platform.state.grade(item.itemId, 4)).toMatchObject({ grade: 80 });
    await screenshots(page, 'lti-04-synced');
  });

  it('edits a line-item mapping: a pasted value that is no URL is refused beside the field', async () => {
    await go('Mappings');
    const name = `mapping course 2, Line item ${platform.lineItemUrl(item)}, overall`;
    await page.getByRole('button', { name: `Edit ${name}` }).click();
    expect(await page.getByLabel('Line item URL').inputValue()).toBe(platform.lineItemUrl(item));
    await page.getByLabel('Line item', { exact: true }).locator('option', { hasText: 'Speaking test (LTI)' }).waitFor({ state: 'attached' });
    expect(await page.getByLabel('Line item', { exact: true }).inputValue()).toBe(platform.lineItemUrl(item));
    await page.getByLabel('Line item URL').fill('not a url');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    expect(await errorBeside('Line item URL')).toMatch(/^target\.lineItemUrl/);
    await page.getByLabel('Line item URL').fill(platform.lineItemUrl(item));
    await page.getByLabel('Attempt policy').selectOption('highest');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await row('Mappings', 'Moodle via LTI', 'highest').waitFor();
  });

  it('shows the tool key with copy buttons, rotates it, and deletes the old key after a confirm step', async () => {
    const before = (await admin('get', '/api/v1/lti/tool').expect(200)).body as { publicKeyPem: string; kid: string; jwksUrl: string };
    await go('LTI tool');
    const pem = page.getByLabel('Public key (PEM)');
    expect(await pem.inputValue()).toBe(before.publicKeyPem);
    expect(before.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await page.getByRole('button', { name: 'Copy public key' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(before.publicKeyPem);
    expect(await page.getByLabel('JWKS URL').inputValue()).toBe(before.jwksUrl);
    await page.getByRole('button', { name: 'Copy JWKS URL' }).click();
    await page.waitForFunction((url) => navigator.clipboard.readText().then((text) => text === url), before.jwksUrl);
    await row('Tool keys', before.kid, 'yes').waitFor();
    expect(await page.getByRole('button', { name: /^Delete key/ }).count()).toBe(0);
    await screenshots(page, 'lti-05-tool');

    await page.getByRole('button', { name: 'Rotate key' }).click();
    const notice = page.getByRole('status').filter({ hasText: /^New key / });
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/before you delete the old key/);
    const after = (await admin('get', '/api/v1/lti/tool').expect(200)).body as { publicKeyPem: string; kid: string; keys: unknown[] };
    expect(after.kid).not.toBe(before.kid);
    expect(after.keys).toHaveLength(2);
    await page.waitForFunction((kid) => document.querySelectorAll('[aria-label="Tool keys"] tbody tr').length === 2 && document.body.textContent!.includes(kid), after.kid);
    expect(await pem.inputValue()).toBe(after.publicKeyPem);
    await row('Tool keys', before.kid, 'no').waitFor();
    await screenshots(page, 'lti-06-rotated');

    await page.getByRole('button', { name: `Delete key ${before.kid}` }).click();
    const confirm = page.getByRole('region', { name: 'Confirm deleting a key' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await admin('get', '/api/v1/lti/tool').expect(200)).body.keys).toHaveLength(2);
    await page.getByRole('button', { name: `Delete key ${before.kid}` }).click();
    await screenshots(page, 'lti-07-delete-confirm');
    await confirm.getByRole('button', { name: `Delete key ${before.kid}` }).click();
    await page.getByRole('status').filter({ hasText: `Key ${before.kid} deleted` }).waitFor();
    await row('Tool keys', before.kid).waitFor({ state: 'detached' });

    // The platform reads the JWKS: the new key gets tokens, a score still arrives.
    const sync = (await callback('5', 8.1)).body.syncs[0].id as string;
    expect(await syncOf(sync)).toMatchObject({ state: 'synced' });
    expect(platform.assertions.at(-1)!.header.kid).toBe(after.kid);
  });

  it('shows a viewer no LTI tool link, and not the page', async () => {
    const token = (await admin('post', '/api/v1/tokens').send({ name: 'Instructor', role: 'viewer', lmsCourseIds: [LTI_SITE.courseId] }).expect(201)).body.token as string;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(token);
    await nav('Syncs').waitFor();
    expect(await nav('LTI tool').count()).toBe(0);
    await page.goto(`${origin}/console/lti-tool`);
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    await go('Mappings');
    await row('Mappings', 'Moodle via LTI').waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
  });
});
