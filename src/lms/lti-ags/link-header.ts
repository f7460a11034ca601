/**
 * The `next` URL of an HTTP Link header, read leniently: Moodle 5.0 writes its paging links with
 * `&amp;` in the URL and typographic quotes around the rel (`rel=“next”`), which a standard parser
 * rejects. null when there is none.
 */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const match of header.matchAll(/<([^>]*)>\s*;([^<]*)/g)) {
    const rel = /rel\s*=\s*["'\u201c\u201d\u2018\u2019]?([^"'\u201c\u201d\u2018\u2019;,]+)/i.exec(match[2] ?? '');
    if (rel && rel[1]!.trim().split(/\s+/).includes('next')) return match[1]!.replace(/&amp;/g, '&').trim();
  }
  return null;
}
