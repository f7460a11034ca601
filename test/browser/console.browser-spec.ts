import { readFileSync } from 'node:fs';
import { Server } from 'node:http';
import { Locator, Page } from 'playwright-core';
import { Browser, launchChromium, listen, pageProblems, screenshots, writeOutput } from './browser';
import { CALLBACK_KEY, GradeSyncContext, SITE } from '../support/grade-sync-context';
import { ADMIN_TOKEN } from '../support/test-app';

jest.setTimeout(180_000);

/**
 * A new admin configures a mapping end to end in the console, in Debian's Chromium, against the
 * real app and the Moodle simulator; then watches, breaks, repairs and downloads. Driven only by
 * role and accessible name.
 */
describe('the admin console in a browser', () => {
  let ctx: GradeSyncContext;
  let origin: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ctx = await GradeSyncContext.start();
    origin = await listen(ctx.t.app.getHttpServer() as Server);
    browser = await launchChromium(origin);
    page = browser.page;
  });
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });
  afterEach(() => {
    // A CSP refusal or a script error shows up here.
    if (page) expect(pageProblems(page)).toEqual([]);
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
  const row = (table: string, ...texts: string[]) => texts.reduce<Locator>((l, t) => l.filter({ hasText: t }), page.getByRole('region', { name: table }).getByRole('row'));
  async function go(name: string) {
    await nav(name).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  it('loads under 300 KB with nothing from another origin, and signs in with the keyboard', async () => {
    await page.goto(`${origin}/console`);
    await page.getByLabel('API token').waitFor();
    const load = await page.evaluate(() => {
      const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')] as PerformanceResourceTiming[];
      return entries.map((e) => ({ url: e.name, transferSize: e.transferSize }));
    });
    const transferred = load.reduce((sum, e) => sum + e.transferSize, 0);
    writeOutput('first-load.json', JSON.stringify({ transferredBytes: transferred, requests: load }, null, 2));
    expect(load.every((e) => e.url.startsWith(origin))).toBe(true);
    expect(transferred).toBeGreaterThan(0);
    expect(transferred).toBeLessThan(300 * 1024);
    await screenshots(page, '01-sign-in');

    // A wrong token: the message sits next to the field.
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Unknown or revoked API token').waitFor();
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');

    // Keyboard only: focus the field, type, Enter.
    await page.getByLabel('API token').focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.evaluate(() => [Object.keys(localStorage).length, document.cookie])).toEqual([0, '']);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([ADMIN_TOKEN]);
    for (const name of ['Overview', 'Syncs', 'Mappings', 'Connections', 'Assessments', 'Grades', 'Quarantine', 'LTI tool']) await nav(name).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();

    // Tab from Sign out reaches the navigation; Enter opens the page and puts focus on its content.
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Syncs');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Syncs' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('creates a connection through its form, with the API validation message next to the field', async () => {
    await go('Connections');
    await page.getByRole('button', { name: 'New connection' }).click();
    await page.getByLabel('Name').fill('Main Moodle');
    await page.getByLabel('Moodle address').fill('ftp://moodle.example.edu');
    await page.getByLabel('Web-service token').fill(ctx.sim.token);
    await page.getByRole('button', { name: 'Create connection' }).click();
    const address = page.getByLabel('Moodle address');
    await page.locator('[aria-invalid="true"]').first().waitFor();
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await address.getAttribute('aria-describedby'))!.split(' ').find((id) => id.endsWith('-error'))!;
    expect(await page.locator(`[id="${errorId}"]`).textContent()).toMatch(/^baseUrl /);

    await address.fill(ctx.sim.baseUrl);
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection Main Moodle saved' }).waitFor();
    await row('Connections', 'Main Moodle', ctx.sim.baseUrl, 'stored').waitFor();
    await screenshots(page, '02-connections');
  });

  it('creates an assessment through its form', async () => {
    await go('Assessments');
    await page.getByRole('button', { name: 'New assessment' }).click();
    await page.getByLabel('Name').fill('Speaking test');
    await page.getByLabel('Speechace course id').fill('1234');
    await page.getByLabel('Callback key').fill('short');
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.getByText('callbackKey must be at least 8 characters').waitFor();
    await page.getByLabel('Callback key').fill(CALLBACK_KEY);
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await row('Assessments', 'Speaking test', '1234').waitFor();
    await screenshots(page, '03-assessments');
  });

  it('creates a mapping through its form, and generates a signed callback URL', async () => {
    await go('Mappings');
    await page.getByRole('button', { name: 'New mapping' }).click();
    await page.getByLabel('Assessment').selectOption({ label: 'Speaking test (1234)' });
    await page.getByLabel('Connection').selectOption({ label: 'Main Moodle' });
    await page.getByLabel('Item type').selectOption('assign');
    await page.getByLabel('Assignment id').fill(String(SITE.assignWithComments.id));
    await page.getByLabel('Course-module id (cmid)').fill(String(SITE.assignWithComments.cmid));
    await page.getByLabel('Score field').selectOption('overall');
    // No course yet: the API's message lands beside "LMS course id".
    await page.getByRole('button', { name: 'Create mapping' }).click();
    await page.getByText(/lmsCourseId must be an integer/).waitFor();
    expect(await page.getByLabel('LMS course id').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('LMS course id').fill(String(SITE.courseId));
    await screenshots(page, '04-mapping-form');
    await page.getByRole('button', { name: 'Create mapping' }).click();
    await row('Mappings', 'Speaking test', 'Main Moodle', 'Assignment 2 (cmid 3)').waitFor();

    await page.getByRole('button', { name: /^Callback URL of mapping course 2/ }).click();
    await page.getByLabel('LMS user').fill('4');
    await page.getByRole('button', { name: 'Generate URL' }).click();
    const url = await page.getByLabel('Signed callback URL').inputValue();
    expect(url).toMatch(/^http:\/\/sync\.test\/speechace\/callback\?/);
    await page.getByRole('button', { name: 'Copy URL' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await screenshots(page, '04-mappings');
  });

  it('tests the connection and shows the report by part', async () => {
    await go('Connections');
    await page.getByRole('button', { name: 'Test Main Moodle' }).click();
    const report = page.getByRole('region', { name: 'Connection test report' });
    await report.getByRole('heading', { name: 'Everything works' }).waitFor();
    await report.getByRole('heading', { name: 'Missing functions' }).waitFor();
    await report.getByRole('heading', { name: 'Missing capabilities' }).waitFor();
    await report.getByText('Course 2 · Assignment 2 (cmid 3) · overall').waitFor();
    await screenshots(page, '05-connection-test');

    // Take a function away: the report names it.
    ctx.sim.denyFunction('mod_assign_save_grades');
    try {
      await page.getByRole('button', { name: 'Test Main Moodle' }).click();
      await report.getByRole('heading', { name: 'Problems found' }).waitFor();
      await report.getByRole('list', { name: 'Missing functions' }).getByText('mod_assign_save_grades').waitFor();
    } finally {
      ctx.sim.allowFunction('mod_assign_save_grades');
    }
  });

  it('edits, disables and enables a mapping, a connection and an assessment', async () => {
    await go('Mappings');
    const mapping = 'mapping course 2, Assignment 2 (cmid 3), overall';
    await page.getByRole('button', { name: `Edit ${mapping}` }).click();
    await page.getByLabel('Course-module id (cmid)').fill('0');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await page.getByText(/target\.cmid must not be less than 1/).waitFor();
    expect(await page.getByLabel('Course-module id (cmid)').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Course-module id (cmid)').fill(String(SITE.assignWithComments.cmid));
    await page.getByLabel('Attempt policy').selectOption('highest');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await row('Mappings', 'Main Moodle', 'highest').waitFor();
    await page.getByRole('button', { name: `Disable ${mapping}` }).click();
    await row('Mappings', 'Main Moodle', 'highest').getByRole('cell', { name: 'no', exact: true }).waitFor();
    await page.getByRole('button', { name: `Enable ${mapping}` }).click();
    await row('Mappings', 'Main Moodle', 'highest').getByRole('cell', { name: 'yes', exact: true }).waitFor();
    await page.getByRole('button', { name: `Edit ${mapping}` }).click();
    await page.getByLabel('Attempt policy').selectOption('latest');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await row('Mappings', 'Main Moodle', 'latest').waitFor();

    await go('Connections');
    await page.getByRole('button', { name: 'Disable Main Moodle' }).click();
    await row('Connections', 'Main Moodle').getByRole('cell', { name: 'no', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Enable Main Moodle' }).click();
    await row('Connections', 'Main Moodle').getByRole('cell', { name: 'yes', exact: true }).waitFor();

    await go('Assessments');
    await page.getByRole('button', { name: 'Edit Speaking test' }).click();
    await page.getByLabel('Name').fill('');
    await page.getByRole('button', { name: 'Save assessment' }).click();
    await page.getByText('name should not be empty').waitFor();
    await page.getByLabel('Name').fill('Speaking test');
    await page.getByRole('button', { name: 'Save assessment' }).click();
    await page.getByRole('status').filter({ hasText: 'Assessment Speaking test saved' }).waitFor();
  });

  it('shows a callback synced, a failure with its reason when the token breaks, and a retry that syncs it', async () => {
    await ctx.postCallback(ctx.callbackBody({ userId: '4' })).expect(202);
    await go('Syncs');
    await row('Syncs', 'synced').filter({ has: page.getByRole('cell', { name: '4', exact: true }) }).waitFor({ timeout: 30_000 });

    // Break the connection's token in its form.
    await go('Connections');
    await page.getByRole('button', { name: 'Edit Main Moodle' }).click();
    await page.getByLabel('Web-service token').fill('a-token-moodle-does-not-know');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection Main Moodle saved' }).waitFor();

    await ctx.postCallback(ctx.callbackBody({ userId: '5', score: { overall: 6.3 } })).expect(202);
    await go('Syncs');
    await page.getByLabel('State').selectOption('failed');
    const failed = row('Syncs', 'failed').filter({ has: page.getByRole('cell', { name: '5', exact: true }) });
    await failed.waitFor({ timeout: 30_000 });
    const reason = await failed.getByRole('cell').nth(5).textContent();
    expect(reason).toMatch(/token/i);
    await screenshots(page, '06-syncs-failed');

    // The overview counts it and lists it with its reason.
    await go('Overview');
    await page.getByRole('link', { name: /^failed 1$/ }).waitFor();
    await row('Latest failures', '5', 'invalidtoken').waitFor();
    await screenshots(page, '06-overview-failure');
    await go('Syncs');
    await page.getByLabel('State').selectOption('failed');

    // The detail shows every attempt's LMS calls and answers.
    await failed.getByRole('link', { name: /^Details of the sync for student 5/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Sync' }).waitFor();
    await page.getByRole('heading', { name: /^Attempt 1: failed/ }).waitFor();
    await page.getByText(/invalidtoken/).first().waitFor();
    await screenshots(page, '07-sync-detail');

    // Fix the token, then Retry.
    await go('Connections');
    await page.getByRole('button', { name: 'Edit Main Moodle' }).click();
    await page.getByLabel('Web-service token').fill(ctx.sim.token);
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection Main Moodle saved' }).waitFor();
    await go('Syncs');
    await page.getByLabel('State').selectOption('failed');
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'back in the queue' }).waitFor();
    await page.getByLabel('State').selectOption('');
    await row('Syncs', 'synced').filter({ has: page.getByRole('cell', { name: '5', exact: true }) }).waitFor({ timeout: 30_000 });
    await screenshots(page, '08-syncs');
  });

  it('retries all failed syncs of the filter at once', async () => {
    await go('Connections');
    await page.getByRole('button', { name: 'Edit Main Moodle' }).click();
    await page.getByLabel('Web-service token').fill('broken-again');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    await ctx.postCallback(ctx.callbackBody({ userId: '4', score: { overall: 8.1 } })).expect(202);
    await ctx.postCallback(ctx.callbackBody({ userId: '5', score: { overall: 8.4 } })).expect(202);
    await go('Syncs');
    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('combobox', { name: 'Course' }).selectOption({ label: 'Course 2' });
    await page.waitForFunction(() => document.querySelectorAll('tr[data-state="failed"]').length === 2, undefined, { timeout: 30_000 });
    // The filter is in the address: a reload shows the same rows.
    expect(new URL(page.url()).search).toBe('?state=failed&lmsCourseId=2');
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('tr[data-state="failed"]').length === 2);
    expect(await page.getByLabel('State').inputValue()).toBe('failed');

    await go('Connections');
    await page.getByRole('button', { name: 'Edit Main Moodle' }).click();
    await page.getByLabel('Web-service token').fill(ctx.sim.token);
    await page.getByRole('button', { name: 'Save connection' }).click();
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    await go('Syncs');
    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('button', { name: 'Retry all failed' }).click();
    await page.getByRole('status').filter({ hasText: '2 failed syncs put back in the queue' }).waitFor();
    await page.getByLabel('State').selectOption('synced');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-state="synced"]').length === 4, undefined, { timeout: 30_000 });
  });

  it('shows the overview: syncs by state, the oldest waiting, the latest failures', async () => {
    await go('Overview');
    await page.getByRole('link', { name: /^synced 4$/ }).waitFor();
    await page.getByText('Oldest waiting sync: none is waiting').waitFor();
    await page.getByRole('region', { name: 'Latest failures' }).or(page.getByText('No failed syncs.')).waitFor();
    await screenshots(page, '09-overview');
  });

  it("shows a course's grades and downloads them as CSV", async () => {
    await go('Grades');
    await page.getByRole('combobox', { name: 'Course' }).selectOption({ label: 'Course 2' });
    const grades = 'Grades of course 2';
    await row(grades, 'synced').first().waitFor();
    const rows = await page.getByRole('region', { name: grades }).getByRole('row').count();
    expect(rows).toBe(3); // header + students 4 and 5
    await screenshots(page, '10-grades');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('course-2-grades.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toBe((await ctx.admin('get', '/api/v1/courses/2/grades?format=csv').expect(200)).text);
    const [header, ...lines] = csv.trim().split(/\r?\n/).map((l) => l.split(','));
    const column = (name: string) => header!.indexOf(name);
    expect(lines.map((l) => [l[column('userRef')], l[column('overall')], l[column('syncState')]])).toEqual(
      expect.arrayContaining([['4', '8.1', 'synced'], ['5', '8.4', 'synced']]),
    );
    expect(lines).toHaveLength(2);
    const json = (await ctx.admin('get', '/api/v1/courses/2/grades').expect(200)).body as { rows: { userRef: string; syncedGrade: number }[] };
    for (const line of lines) {
      expect(Number(line[column('syncedGrade')])).toBe(json.rows.find((r) => r.userRef === line[column('userRef')])!.syncedGrade);
    }
  });

  it('rotates an assessment key and shows the new key once', async () => {
    await go('Assessments');
    await page.getByRole('button', { name: 'Rotate the key of Speaking test' }).click();
    const oldHint = CALLBACK_KEY.slice(-2);
    let key = '';
    // The keys are told apart by their last two characters: generate until they differ from the old key's.
    while (key === '' || key.slice(-2).toLowerCase() === oldHint.toLowerCase()) {
      await page.getByRole('button', { name: 'Generate a key' }).click();
      key = await page.getByLabel('New callback key').inputValue();
    }
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByRole('status').filter({ hasText: 'New key (shown only now)' }).getByText(key).waitFor();
    await screenshots(page, '11-key-rotation');
    // The new key works at once; the old one until it is retired.
    await ctx.postCallback(ctx.callbackBody({ key, userId: '4' })).expect(202);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Rotate the key of Speaking test' }).click();
    expect(await page.getByText(key).count()).toBe(0);
    const retire = page.getByRole('button', { name: `Retire the key ending ${oldHint}`, exact: true });
    await retire.click();
    await retire.waitFor({ state: 'detached' });
    await ctx.postCallback(ctx.callbackBody({ userId: '4' })).expect(401);
  });

  it('lists quarantined callbacks', async () => {
    await ctx.postCallback(ctx.callbackBody({ courseId: 'no-such-course' })).expect(404);
    await go('Quarantine');
    await page.getByRole('heading', { level: 2, name: /^404: / }).waitFor();
    await page.getByRole('button', { name: 'Replay' }).first().waitFor();
    await screenshots(page, '12-quarantine');
  });

  it('signs out, and forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();
    await page.getByLabel('API token').waitFor();
  });

  describe('a viewer limited to course 2', () => {
    beforeAll(async () => {
      ctx.sim.addCourse({ id: 99, shortname: 'OTHER', fullname: 'Other course' });
      ctx.sim.addAssignment({ id: 9, cmid: 90, courseId: 99, name: 'Other task', feedbackComments: false });
      ctx.sim.enrol(99, 4);
      const other = await ctx.newAssessment({ name: 'Other test', speechaceCourseId: 'sc-99', callbackKey: 'another-key-99' });
      const connection = await ctx.newConnection({ name: 'Other Moodle' });
      await ctx.newMapping({ assessmentId: other.id, connectionId: connection.id, lmsCourseId: 99, target: { type: 'assign', assignmentId: 9, cmid: 90 } });
      const cb = await ctx.postCallback(ctx.callbackBody({ courseId: 'sc-99', key: 'another-key-99', userId: '4' })).expect(202);
      await ctx.waitForFinal(cb.body.syncs[0].id as string);
    });

    it('sees no admin control and nothing of another course', async () => {
      const token = (await ctx.admin('post', '/api/v1/tokens').send({ name: 'Instructor, course 2', role: 'viewer', lmsCourseIds: [2] }).expect(201)).body.token as string;
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      expect(await nav('Quarantine').count()).toBe(0);
      expect(await nav('LTI tool').count()).toBe(0);
      await page.getByRole('link', { name: /^synced \d+$/ }).waitFor();
      await screenshots(page, 'viewer-01-overview');

      await go('Syncs');
      await row('Syncs', 'synced').first().waitFor();
      const courses = await page.getByRole('region', { name: 'Syncs' }).getByRole('row').evaluateAll((rows) => rows.slice(1).map((r) => r.children[1]!.textContent));
      expect(new Set(courses)).toEqual(new Set(['2']));
      expect(await page.getByRole('combobox', { name: 'Course' }).locator('option').allTextContents()).toEqual(['Every course', 'Course 2']);
      expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
      await screenshots(page, 'viewer-02-syncs');

      for (const name of ['Mappings', 'Connections', 'Assessments']) {
        await go(name);
        await page.getByRole('region', { name }).waitFor();
        expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
        expect(await page.getByText(/Other (test|Moodle)/).count()).toBe(0);
        // Header and one row: the course-2 connection, mapping or assessment only.
        expect(await page.getByRole('region', { name }).getByRole('row').count()).toBe(2);
        await screenshots(page, `viewer-${name.toLowerCase()}`);
      }

      await go('Grades');
      expect(await page.getByRole('combobox', { name: 'Course' }).locator('option').allTextContents()).toEqual(['Course 2']);
      await page.getByRole('link', { name: 'Download CSV' }).waitFor();

      await page.goto(`${origin}/console/quarantine`);
      await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    });
  });
});
