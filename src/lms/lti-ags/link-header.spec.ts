import { nextLink } from './link-header';

describe('nextLink', () => {
  it("reads Moodle 5.0's malformed paging header (&amp; and typographic quotes)", () => {
    const header = '<http://moodle.test/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=1&amp;from=1>; rel=\u201cnext\u201d';
    expect(nextLink(header)).toBe('http://moodle.test/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=1');
  });

  it('reads a standard header with several links', () => {
    expect(nextLink('<https://a.test/items?page=1>; rel="prev", <https://a.test/items?page=3>; rel="next"')).toBe('https://a.test/items?page=3');
  });

  it('answers null without a next link', () => {
    expect(nextLink('<https://a.test/items?page=1>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});
