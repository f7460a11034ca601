import { nextLink } from './link-header';

describe('nextLink', () => {
  it("reads Moodle 5.0's malformed paging header (&amp; and typographic quotes)", () => {
    const header = '<http://moodle.test/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=1&amp;from=1>; rel=\u201cnext\u201d';
    expect(nextLink(header)).toBe('http://moodle.test/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=1');
  });

  it('reads the typographic quotes as they arrive over HTTP (UTF-8 bytes seen as Latin-1)', () => {
    const header = Buffer.from('<http://moodle.test/x?a=1&amp;from=2>; rel=\u201cnext\u201d', 'utf8').toString('latin1');
    expect(nextLink(header)).toBe('http://moodle.test/x?a=1&from=2');
  });

  it('reads a standard header with several links', () => {
    expect(nextLink('<https://a.test/items?page=1>; rel="prev", <https://a.test/items?page=3>; rel="next"')).toBe('https://a.test/items?page=3');
  });

  it('answers null without a next link', () => {
    expect(nextLink('<https://a.test/items?page=1>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});
