import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Mapping } from '../api/types';
import { useCatalog } from '../components/catalog';
import { CopyButton } from '../components/copy-button';
import { Field, formValues, GeneralErrors, useSubmit } from '../components/form';
import { describeTarget, orDash } from '../components/format';
import { DataTable, LoadState, Notice } from '../components/status';
import { isAdmin, useMe } from '../session';
import { MappingForm } from './mapping-form';

export function MappingsPage() {
  const admin = isAdmin(useMe());
  const { mappings, connections, assessments } = useCatalog();
  const [editing, setEditing] = useState<Mapping | 'new' | null>(null);
  const [urlFor, setUrlFor] = useState<Mapping | null>(null);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const assessmentName = (id: string) => assessments.data?.find((a) => a.id === id)?.name ?? id;
  const connectionName = (id: string) => connections.data?.find((c) => c.id === id)?.name ?? id;

  async function saved(m: Mapping) {
    setEditing(null);
    const warnings = m.warnings?.length ? ` Warnings: ${m.warnings.join(' ')}` : '';
    setNotice({ text: `Mapping to course ${m.lmsCourseId}, ${describeTarget(m.target)} saved.${warnings}`, kind: 'ok' });
    await mappings.reload();
  }

  async function toggle(m: Mapping) {
    try {
      await api('PATCH', `/mappings/${m.id}`, { enabled: !m.enabled });
      setNotice({ text: `Mapping ${m.enabled ? 'disabled: its syncs wait (paused)' : 'enabled'}`, kind: 'ok' });
    } catch (e) {
      setNotice({ text: e instanceof ApiError ? e.message : String(e), kind: 'error' });
    }
    await mappings.reload();
  }

  return (
    <section>
      <h1>Mappings</h1>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      {admin && editing === null && (
        <button type="button" onClick={() => setEditing('new')}>
          New mapping
        </button>
      )}
      {admin && editing !== null && (
        <section class="panel">
          <h2>{editing === 'new' ? 'New mapping' : 'Edit mapping'}</h2>
          <MappingForm
            key={editing === 'new' ? 'new' : editing.id}
            existing={editing === 'new' ? null : editing}
            assessments={assessments.data ?? []}
            connections={connections.data ?? []}
            onSaved={(m) => void saved(m)}
            onCancel={() => setEditing(null)}
          />
        </section>
      )}
      {admin && urlFor && <CallbackUrlGenerator key={urlFor.id} mapping={urlFor} onClose={() => setUrlFor(null)} />}
      <LoadState data={mappings.data} error={mappings.error}>
        {(list) => (
          <DataTable
            label="Mappings"
            empty="No mapping yet."
            columns={['Assessment', 'Quiz', 'Connection', 'Course', 'Item', 'Score', 'Users by', 'Policy', 'Enabled']}
            actions={admin}
            rows={list}
          >
            {(m) => {
              const name = `course ${m.lmsCourseId}, ${describeTarget(m.target)}, ${m.scoreField}`;
              return (
                <tr key={m.id}>
                  <td>{assessmentName(m.assessmentId)}</td>
                  <td>{orDash(m.speechaceQuizId) === '—' ? 'every quiz' : m.speechaceQuizId}</td>
                  <td>{connectionName(m.connectionId)}</td>
                  <td>{m.lmsCourseId}</td>
                  <td>{describeTarget(m.target)}</td>
                  <td>
                    {m.scoreField} ({m.sourceScale.min}–{m.sourceScale.max})
                  </td>
                  <td>{m.userMatch}{m.requireSignedUrl ? ', signed URLs only' : ''}</td>
                  <td>{m.attemptPolicy}</td>
                  <td>{m.enabled ? 'yes' : 'no'}</td>
                  {admin && (
                    <td class="actions">
                      <button type="button" aria-label={`Edit mapping ${name}`} onClick={() => setEditing(m)}>Edit</button>
                      <button type="button" aria-label={`${m.enabled ? 'Disable' : 'Enable'} mapping ${name}`} onClick={() => void toggle(m)}>{m.enabled ? 'Disable' : 'Enable'}</button>
                      <button type="button" aria-label={`Callback URL of mapping ${name}`} onClick={() => setUrlFor(m)}>Callback URL</button>
                    </td>
                  )}
                </tr>
              );
            }}
          </DataTable>
        )}
      </LoadState>
    </section>
  );
}

/** The URL to give Speechace, optionally signed for one LMS user so a leaked key cannot grade anyone else. */
function CallbackUrlGenerator(props: { mapping: Mapping; onClose: () => void }) {
  const { errors, busy, submit } = useSubmit<{ url: string; signed: boolean }>(['user']);
  const [result, setResult] = useState<{ url: string; signed: boolean } | null>(null);
  async function onSubmit(event: Event) {
    event.preventDefault();
    const user = (formValues(event.currentTarget as HTMLFormElement).user ?? '').trim();
    const answer = await submit(() => api<{ url: string; signed: boolean }>('POST', `/mappings/${props.mapping.id}/callback-url`, user ? { user } : {}));
    if (answer) setResult(answer);
  }
  return (
    <section class="panel" aria-label="Callback URL generator">
      <h2>Callback URL for course {props.mapping.lmsCourseId}, {describeTarget(props.mapping.target)}</h2>
      <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Generate a callback URL">
        <Field label="LMS user" name="user" errors={errors} hint={`Optional: sign the URL for one user (their ${props.mapping.userMatch})`} input={{ autoComplete: 'off' }} />
        <GeneralErrors errors={errors} />
        <div class="buttons">
          <button type="submit" disabled={busy}>Generate URL</button>
          <button type="button" onClick={props.onClose}>Close</button>
        </div>
      </form>
      {result && (
        <div class="field">
          <label for="callback-url">{result.signed ? 'Signed callback URL' : 'Callback URL'}</label>
          <input id="callback-url" readOnly value={result.url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <CopyButton text={result.url} label="Copy URL" />
        </div>
      )}
    </section>
  );
}
