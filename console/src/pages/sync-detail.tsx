import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, ApiError } from '../api/client';
import type { LmsCall, Sync } from '../api/types';
import { formatTime, orDash } from '../components/format';
import { LoadState, Notice } from '../components/status';
import { useApi } from '../components/use-api';
import { isAdmin, useMe } from '../session';

/** One sync with every attempt and every LMS call of it, with Moodle's answers. */
export function SyncDetailPage() {
  const { params } = useRoute();
  const id = params.id ?? '';
  const admin = isAdmin(useMe());
  const sync = useApi(() => api<Sync>('GET', `/syncs/${encodeURIComponent(id)}`), id, 3000);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);

  async function retry() {
    try {
      await api('POST', `/syncs/${id}/retry`);
      setNotice({ text: 'Back in the queue', kind: 'ok' });
    } catch (e) {
      setNotice({ text: e instanceof ApiError ? e.message : String(e), kind: 'error' });
    }
    await sync.reload();
  }

  return (
    <section>
      <p>
        <a href="/console/syncs">← All syncs</a>
      </p>
      <h1>Sync</h1>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      <LoadState data={sync.data} error={sync.error}>
        {(s) => (
          <>
            <dl class="facts">
              <dt>State</dt>
              <dd><span class={`state state-${s.state}`}>{s.state}</span></dd>
              <dt>Reason</dt>
              <dd>{orDash(s.reason)}</dd>
              <dt>Student</dt>
              <dd>{s.userRef}{s.lmsUserId !== null ? ` (Moodle user ${s.lmsUserId})` : ''}</dd>
              <dt>Score</dt>
              <dd>{orDash(s.sourceScore)}</dd>
              <dt>Grade</dt>
              <dd>{orDash(s.grade)}</dd>
              <dt>Attempts</dt>
              <dd>{s.attemptCount}</dd>
              <dt>Created</dt>
              <dd>{formatTime(s.createdAt)}</dd>
              <dt>Synced</dt>
              <dd>{formatTime(s.syncedAt)}</dd>
            </dl>
            {admin && (s.state === 'failed' || s.state === 'blocked' || s.state === 'skipped') && (
              <button type="button" onClick={() => void retry()}>
                Retry
              </button>
            )}
            <h2>Attempts</h2>
            {(s.attempts ?? []).length === 0 && <p>No attempt yet.</p>}
            {(s.attempts ?? []).map((a) => (
              <article key={a.number} class="attempt">
                <h3>
                  Attempt {a.number}: {a.outcome}
                  {a.errorCode ? ` (${a.errorCode})` : ''}
                </h3>
                <p>{orDash(a.reason)}</p>
                <p class="hint">
                  {formatTime(a.startedAt)} → {formatTime(a.finishedAt)}
                </p>
                {a.calls.length > 0 && <CallList calls={a.calls} />}
              </article>
            ))}
          </>
        )}
      </LoadState>
    </section>
  );
}

function CallList(props: { calls: LmsCall[] }) {
  return (
    <ol class="calls">
      {props.calls.map((call, i) => (
        <li key={i}>
          <details>
            <summary>
              {call.function} — {call.error ? `error ${call.error}` : `HTTP ${orDash(call.httpStatus)}`} · {call.durationMs} ms
            </summary>
            <h4>Parameters</h4>
            <pre>{JSON.stringify(call.params, null, 2)}</pre>
            <h4>Answer</h4>
            <pre>{orDash(call.body)}</pre>
          </details>
        </li>
      ))}
    </ol>
  );
}
