/** The first `limit` bytes of the answer (or all of it, if shorter); the rest is not downloaded. */
export async function readStart(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk as Uint8Array);
    size += (chunk as Uint8Array).byteLength;
    if (size >= limit) break;
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size).subarray(0, limit));
}
