import { lineItemSubUrl, ltiUrlProblem } from './ags-urls';

describe('lineItemSubUrl', () => {
  it("puts /scores and /results into the path, keeping Moodle's query string", () => {
    const item = 'https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=3';
    expect(lineItemSubUrl(item, 'scores')).toBe('https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=3');
    expect(lineItemSubUrl(item, 'results', { user_id: '4' })).toBe('https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem/results?type_id=3&user_id=4');
  });

  it('works for a line item URL without a query (Canvas style)', () => {
    expect(lineItemSubUrl('https://canvas.example.edu/api/lti/courses/1/line_items/9/', 'scores')).toBe('https://canvas.example.edu/api/lti/courses/1/line_items/9/scores');
  });
});

describe('ltiUrlProblem', () => {
  it.each([
    ['https://moodle.example.edu/mod/lti/token.php', null],
    ['http://127.0.0.1:8089/mod/lti/services.php/2/lineitems/1/lineitem?type_id=1', null],
    ['ftp://moodle.example.edu/x', 'must be an http(s) URL'],
    ['https://user:pw@moodle.example.edu/x', 'user name or password'],
    ['https://moodle.example.edu/x#frag', 'fragment'],
    ['notaurl', 'must be an http(s) URL'],
    ['https://moodle.example.edu/a b', 'spaces'],
  ])('%s → %s', (url, problem) => {
    const found = ltiUrlProblem(url, []);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('applies LMS_ALLOWED_HOSTS', () => {
    expect(ltiUrlProblem('https://evil.example.com/token', ['moodle.example.edu'])).toContain('LMS_ALLOWED_HOSTS');
    expect(ltiUrlProblem('https://moodle.example.edu/token', ['moodle.example.edu'])).toBeNull();
  });
});
