import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Page, QuarantinedCallback } from '../api/types';
import { formatTime, orDash } from '../components/format';
import { LoadState, Notice } from '../components/status';
import { useApi } from '../components/use-api';

/** Callbacks refused for their body: read why, fix the cause (e.g. add the assessment), replay. */
export function QuarantinePage() {
  const list = useApi(() => api<Page<QuarantinedCallback>>('GET', '/quarantine?limit=100'), 'quarantine');
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);

  async function replay(row: QuarantinedCallback) {
    try {
      const answer = await api<{ submissionId: string; duplicate: boolean; syncs: unknown[] }>('POST', `/quarantine/${row.id}/replay`);
      setNotice({ text: `Accepted now: submission ${answer.submissionId}${answer.duplicate ? ' (stored already)' : ''}, ${answer.syncs.length} sync(s)`, kind: 'ok' });
    } catch (e) {
      setNotice({ text: `Still refused: ${e instanceof ApiError ? e.message : String(e)}`, kind: 'error' });
    }
    await list.reload();
  }

  return (
    <section>
      <h1>Quarantine</h1>
      <p>Callbacks that intake refused for their body (400, 404, 415), newest first, without their key.</p>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      <LoadState data={list.data} error={list.error}>
        {(page) =>
          page.items.length === 0 ? (
            <p>Nothing is quarantined.</p>
          ) : (
            <ul class="cards">
              {page.items.map((row) => (
                <li key={row.id}>
                  <article aria-label={`Callback received ${formatTime(row.receivedAt)}`}>
                    <h2>
                      {row.status}: {row.reason}
                    </h2>
                    <p class="hint">
                      {formatTime(row.receivedAt)} · from {orDash(row.sourceIp)} · {row.bodyBytes} bytes · {orDash(row.contentType)} · request {row.requestId}
                    </p>
                    {row.query && <p>Query: <code>{row.query}</code></p>}
                    <details>
                      <summary>Body</summary>
                      <pre>{row.body}</pre>
                    </details>
                    <button type="button" onClick={() => void replay(row)}>
                      Replay
                    </button>
                  </article>
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
    </section>
  );
}
