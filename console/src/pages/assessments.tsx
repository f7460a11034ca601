import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Assessment } from '../api/types';
import { useCatalog } from '../components/catalog';
import { CopyButton } from '../components/copy-button';
import { Field, formValues, GeneralErrors, useSubmit } from '../components/form';
import { formatTime } from '../components/format';
import { DataTable, LoadState, Notice } from '../components/status';
import { isAdmin, useMe } from '../session';

export function AssessmentsPage() {
  const admin = isAdmin(useMe());
  const { assessments } = useCatalog();
  const [editing, setEditing] = useState<Assessment | 'new' | null>(null);
  const [rotating, setRotating] = useState<Assessment | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function saved(a: Assessment, verb: string) {
    setEditing(null);
    setNotice(`Assessment ${a.name} ${verb}`);
    await assessments.reload();
  }

  return (
    <section>
      <h1>Assessments</h1>
      <Notice text={notice} />
      {admin && editing === null && (
        <button type="button" onClick={() => setEditing('new')}>
          New assessment
        </button>
      )}
      {admin && editing !== null && (
        <section class="panel">
          <h2>{editing === 'new' ? 'New assessment' : `Edit ${editing.name}`}</h2>
          <AssessmentForm key={editing === 'new' ? 'new' : editing.id} existing={editing === 'new' ? null : editing} onSaved={(a) => void saved(a, 'saved')} onCancel={() => setEditing(null)} />
        </section>
      )}
      {admin && rotating && (
        <KeyRotation key={rotating.id} assessment={rotating} onDone={() => setRotating(null)} onChanged={async (a) => { setRotating(a); await assessments.reload(); }} />
      )}
      <LoadState data={assessments.data} error={assessments.error}>
        {(list) => (
          <DataTable label="Assessments" empty="No assessment yet." columns={['Name', 'Speechace course id', admin && 'Active keys']} actions={admin} rows={list}>
            {(a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{a.speechaceCourseId}</td>
                {admin && <td>{(a.keys ?? []).filter((k) => !k.retiredAt).map((k) => `…${k.hint}`).join(', ') || 'none'}</td>}
                {admin && (
                  <td class="actions">
                    <button type="button" aria-label={`Edit ${a.name}`} onClick={() => setEditing(a)}>Edit</button>
                    <button type="button" aria-label={`Rotate the key of ${a.name}`} onClick={() => setRotating(a)}>Rotate key</button>
                  </td>
                )}
              </tr>
            )}
          </DataTable>
        )}
      </LoadState>
    </section>
  );
}

function AssessmentForm(props: { existing: Assessment | null; onSaved: (a: Assessment) => void; onCancel: () => void }) {
  const { existing } = props;
  const { errors, busy, submit } = useSubmit<Assessment>(['name', 'speechaceCourseId', 'callbackKey']);
  async function onSubmit(event: Event) {
    event.preventDefault();
    const v = formValues(event.currentTarget as HTMLFormElement);
    const saved = await submit(() =>
      existing
        ? api<Assessment>('PATCH', `/assessments/${existing.id}`, { name: v.name ?? '' })
        : api<Assessment>('POST', '/assessments', { name: v.name ?? '', speechaceCourseId: v.speechaceCourseId ?? '', callbackKey: v.callbackKey ?? '' }),
    );
    if (saved) props.onSaved(saved);
  }
  return (
    <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label={existing ? `Edit assessment ${existing.name}` : 'New assessment'}>
      <Field label="Name" name="name" errors={errors} input={{ defaultValue: existing?.name ?? '', required: true }} />
      {existing ? (
        <p>Speechace course id: {existing.speechaceCourseId}</p>
      ) : (
        <>
          <Field label="Speechace course id" name="speechaceCourseId" errors={errors} hint="The courseId Speechace sends in its callbacks" input={{ required: true }} />
          <Field label="Callback key" name="callbackKey" errors={errors} hint="The key in Speechace's shared-assessment panel; stored only as a hash" input={{ type: 'password', autoComplete: 'off', required: true }} />
        </>
      )}
      <GeneralErrors errors={errors} />
      <div class="buttons">
        <button type="submit" disabled={busy}>{existing ? 'Save assessment' : 'Create assessment'}</button>
        <button type="button" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/** 24 random bytes as URL-safe base64: a key for Speechace's panel, when the admin does not bring one. */
function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Add the new key (both work), give it to Speechace, then retire the old one. The new key is shown once. */
function KeyRotation(props: { assessment: Assessment; onDone: () => void; onChanged: (a: Assessment) => Promise<void> }) {
  const a = props.assessment;
  const { errors, busy, submit } = useSubmit<Assessment>(['callbackKey']);
  const [draft, setDraft] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function add(event: Event) {
    event.preventDefault();
    const key = draft;
    const updated = await submit(() => api<Assessment>('POST', `/assessments/${a.id}/keys`, { callbackKey: key }));
    if (!updated) return;
    setDraft('');
    setShown(key);
    await props.onChanged(updated);
  }

  async function retire(keyId: string) {
    try {
      const updated = await api<Assessment>('DELETE', `/assessments/${a.id}/keys/${keyId}`);
      setError(null);
      await props.onChanged(updated);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }

  return (
    <section class="panel" aria-label={`Key rotation for ${a.name}`}>
      <h2>Rotate the key of {a.name}</h2>
      <p>Add the new key, put it in Speechace's shared-assessment panel, then retire the old key. Both work until then.</p>
      {shown && (
        <div role="status" class="notice">
          <p>
            New key (shown only now): <code data-testid="new-key">{shown}</code> <CopyButton text={shown} label="Copy key" />
          </p>
        </div>
      )}
      <form onSubmit={(e) => void add(e)} noValidate aria-label="Add a key">
        <Field label="New callback key" name="callbackKey" errors={errors} input={{ value: draft, onInput: (e: Event) => setDraft((e.currentTarget as HTMLInputElement).value), autoComplete: 'off' }} />
        <GeneralErrors errors={errors} />
        <div class="buttons">
          <button type="button" onClick={() => setDraft(randomKey())}>Generate a key</button>
          <button type="submit" disabled={busy}>Add key</button>
          <button type="button" onClick={props.onDone}>Close</button>
        </div>
      </form>
      <Notice text={error} kind="error" />
      <DataTable label="Keys" empty="No key." columns={['Key ends with', 'Added', 'Retired']} actions rows={a.keys ?? []}>
        {(k) => (
          <tr key={k.id}>
            <td>…{k.hint}</td>
            <td>{formatTime(k.createdAt)}</td>
            <td>{formatTime(k.retiredAt)}</td>
            <td>{!k.retiredAt && <button type="button" aria-label={`Retire the key ending ${k.hint}`} onClick={() => void retire(k.id)}>Retire</button>}</td>
          </tr>
        )}
      </DataTable>
    </section>
  );
}
