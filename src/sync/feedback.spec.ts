import { feedbackHtml } from './feedback';

const REPORT = 'https://speak.speechace.co/placement/report/a698bd97924e08e68ef1db96a8';

describe('feedbackHtml', () => {
  it('lists every component score with its label, in a fixed order, and links the report', () => {
    const html = feedbackHtml({ grammar: 5.5, vocab: 6.6, fluency: 6.5, pronunciation: 7.6, overall: 4 }, REPORT);
    expect(html).toBe(
      '<p>Speechace scores: Overall 4, Pronunciation 7.6, Fluency 6.5, Vocabulary 6.6, Grammar 5.5.</p>' +
        `<p><a href="${REPORT}">Full Speechace report</a></p>`,
    );
  });

  it('leaves out components the callback did not carry', () => {
    expect(feedbackHtml({ overall: 6.5, fluency: 7 }, REPORT)).toContain('Speechace scores: Overall 6.5, Fluency 7.</p>');
  });

  it('has no link when there is no report URL', () => {
    const html = feedbackHtml({ overall: 6.5 }, null);
    expect(html).toBe('<p>Speechace scores: Overall 6.5.</p>');
    expect(html).not.toContain('<a');
  });

  it('escapes the report URL inside the href attribute', () => {
    const html = feedbackHtml({ overall: 1 }, 'https://x.example/r?a=1&b=2');
    expect(html).toContain('href="https://x.example/r?a=1&#38;b=2"');
  });

  it('cannot be broken out of by quotes or markup in the report URL', () => {
    const html = feedbackHtml({ overall: 1 }, `https://x.example/"><script>alert('x')</script>`);
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/href="[^"]*"[^>]*"/);
    expect(html).toContain('&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;');
    // Exactly one attribute, one anchor.
    expect(html.match(/<a /g)).toHaveLength(1);
    expect(html.match(/"/g)).toHaveLength(2);
  });
});
