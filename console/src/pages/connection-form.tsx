import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Connection } from '../api/types';
import { CheckboxField, Field, formValues, GeneralErrors, numberOrText, SelectField, useSubmit, type FormErrors } from '../components/form';

/**
 * Each connection kind brings its own fields; the name, limits and enabled flag are common.
 * Another kind is one more entry here.
 */
interface KindForm {
  label: string;
  fields: readonly string[];
  Fields: (props: { existing: Connection | null; errors: FormErrors }) => JSX.Element;
  body: (values: Record<string, string>, existing: Connection | null) => Record<string, unknown>;
}

const KINDS: Record<string, KindForm> = {
  moodle: {
    label: 'Moodle web services',
    fields: ['baseUrl', 'token'],
    Fields: ({ existing, errors }) => (
      <>
        <Field label="Moodle address" name="baseUrl" errors={errors} hint="Moodle's wwwroot, e.g. https://moodle.example.edu" input={{ type: 'url', defaultValue: existing?.baseUrl ?? '', required: true }} />
        <Field
          label="Web-service token"
          name="token"
          errors={errors}
          hint={existing ? 'Leave empty to keep the stored token (a new address needs it again)' : 'Stored encrypted; never shown again'}
          input={{ type: 'password', autoComplete: 'off', required: !existing }}
        />
      </>
    ),
    body: (values, existing) => {
      const body: Record<string, unknown> = {};
      if (!existing || values.baseUrl !== existing.baseUrl) body.baseUrl = values.baseUrl ?? '';
      if (!existing || values.token) body.token = values.token ?? '';
      return body;
    },
  },
  'lti-ags': {
    label: 'LTI 1.3 Advantage (AGS)',
    fields: ['issuer', 'clientId', 'deploymentId', 'tokenUrl', 'audience'],
    Fields: ({ existing, errors }) => (
      <>
        <Field label="Issuer" name="issuer" errors={errors} hint="The platform's issuer (Moodle: its wwwroot, e.g. https://moodle.example.edu)" input={{ type: 'url', defaultValue: existing?.issuer ?? '', required: true }} />
        <Field label="Client ID" name="clientId" errors={errors} hint="The client id the platform shows for the tool" input={{ defaultValue: existing?.clientId ?? '', required: true, autoComplete: 'off' }} />
        <Field label="Deployment ID" name="deploymentId" errors={errors} hint="The deployment id the platform shows (Moodle: the tool type id)" input={{ defaultValue: existing?.deploymentId ?? '', required: true, autoComplete: 'off' }} />
        <Field label="Token URL" name="tokenUrl" errors={errors} hint="The platform's access token URL (Moodle: {wwwroot}/mod/lti/token.php)" input={{ type: 'url', defaultValue: existing?.tokenUrl ?? '', required: true }} />
        <Field label="Audience" name="audience" errors={errors} hint="Optional: the client assertion's aud, when the platform wants another than the token URL" input={{ defaultValue: explicitAudience(existing) }} />
      </>
    ),
    body: (values, existing) => {
      const body: Record<string, unknown> = {};
      for (const field of ['issuer', 'clientId', 'deploymentId', 'tokenUrl'] as const) {
        const value = values[field] ?? '';
        if (!existing || value !== existing[field]) body[field] = value;
      }
      const audience = (values.audience ?? '').trim();
      // Empty means "the token URL": a new connection leaves it out, an edit clears a stored one.
      if (audience !== '' && audience !== explicitAudience(existing)) body.audience = audience;
      else if (audience === '' && existing && explicitAudience(existing) !== '') body.audience = null;
      return body;
    },
  },
};

/** The audience the admin set; the API shows the token URL when none was set. */
function explicitAudience(existing: Connection | null): string {
  return existing?.audience && existing.audience !== existing.tokenUrl ? existing.audience : '';
}

const COMMON_FIELDS = ['name', 'kind', 'rateLimitPerSecond', 'maxConcurrency', 'enabled'];

export function ConnectionForm(props: { existing: Connection | null; onSaved: (c: Connection) => void; onCancel?: () => void }) {
  const { existing } = props;
  const [kind, setKind] = useState(existing?.kind ?? 'moodle');
  const form = KINDS[kind];
  const { errors, busy, submit } = useSubmit<Connection>([...COMMON_FIELDS, ...(form?.fields ?? [])]);

  async function onSubmit(event: Event) {
    event.preventDefault();
    const values = formValues(event.currentTarget as HTMLFormElement);
    const body: Record<string, unknown> = { name: values.name ?? '', ...(form ? form.body(values, existing) : {}) };
    if (!existing) body.kind = kind;
    const rate = numberOrText(values.rateLimitPerSecond);
    const concurrency = numberOrText(values.maxConcurrency);
    if (rate !== undefined || existing?.rateLimitPerSecond) body.rateLimitPerSecond = rate ?? null;
    if (concurrency !== undefined || existing?.maxConcurrency) body.maxConcurrency = concurrency ?? null;
    body.enabled = values.enabled === 'on';
    const saved = await submit(() => (existing ? api<Connection>('PATCH', `/connections/${existing.id}`, body) : api<Connection>('POST', '/connections', body)));
    if (saved) props.onSaved(saved);
  }

  return (
    <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label={existing ? `Edit connection ${existing.name}` : 'New connection'}>
      <Field label="Name" name="name" errors={errors} input={{ defaultValue: existing?.name ?? '', required: true }} />
      {existing ? (
        <p>Kind: {KINDS[existing.kind]?.label ?? existing.kind}</p>
      ) : (
        <SelectField label="Kind" name="kind" errors={errors} value={kind} onChange={setKind} options={Object.entries(KINDS).map(([value, k]) => ({ value, label: k.label }))} />
      )}
      {form && <form.Fields existing={existing} errors={errors} />}
      <Field label="Requests per second" name="rateLimitPerSecond" errors={errors} hint="Empty: the service default" input={{ type: 'number', min: 1, max: 1000, defaultValue: existing?.rateLimitPerSecond ?? '' }} />
      <Field label="Requests at once" name="maxConcurrency" errors={errors} hint="Empty: the service default" input={{ type: 'number', min: 1, max: 100, defaultValue: existing?.maxConcurrency ?? '' }} />
      <CheckboxField label="Enabled" name="enabled" checked={existing?.enabled ?? true} errors={errors} />
      <GeneralErrors errors={errors} />
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {existing ? 'Save connection' : 'Create connection'}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
