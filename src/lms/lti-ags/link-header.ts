/**
 * The `next` URL of an HTTP Link header, read leniently: Moodle 5.0 writes its paging links with
 * `&amp;` in the URL and typographic quotes around the rel (`rel=“next”`, UTF-8 bytes that arrive
 * as Latin-1 characters), which a standard parser rejects. null when there is none.
 */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const match of header.matchAll(/<([^>]*)>\s*;([^<]*)/g)) {
    if (/\brel\s*=[^;,]*\bnext\b/i.test(match[2] ?? '')) return match[1]!.replace(/&amp;/g, '&').trim();
  }
  return null;
}
