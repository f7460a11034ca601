import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { ATTEMPT_POLICIES, SCORE_FIELDS, USER_MATCHES, type Assessment, type Connection, type Mapping } from '../api/types';
import { CheckboxField, Field, formValues, GeneralErrors, numberOrText, SelectField, useSubmit } from '../components/form';
import { LineItemPicker } from './line-item-picker';

/** The fields the form shows now: a message naming another (e.g. "target.type: …") goes to the form's general errors, not to a field that is not there. */
function shownFields(creating: boolean, targetType: string): string[] {
  const target = { lineitem: ['target.lineItemUrl'], assign: ['target.type', 'target.assignmentId', 'target.cmid'], activity: ['target.type', 'target.component', 'target.itemNumber', 'target.cmid'] }[targetType] ?? [];
  return [
    ...(creating ? ['assessmentId', 'connectionId'] : []), 'speechaceQuizId', 'lmsCourseId', ...target,
    'userMatch', 'scoreField', 'sourceScale.min', 'sourceScale.max', 'attemptPolicy', 'enabled', 'requireSignedUrl',
  ];
}

const USER_MATCH_LABELS: Record<string, string> = { id: 'Moodle user id', idnumber: 'ID number', username: 'User name', email: 'Email address' };
const LTI_USER_MATCH = [{ value: 'id', label: "The platform's user id" }];

export function MappingForm(props: { existing: Mapping | null; assessments: Assessment[]; connections: Connection[]; onSaved: (m: Mapping) => void; onCancel: () => void }) {
  const { existing } = props;
  const [connectionId, setConnectionId] = useState(existing?.connectionId ?? '');
  const lti = props.connections.find((c) => c.id === connectionId)?.kind === 'lti-ags';
  const [moodleType, setMoodleType] = useState<string>(existing && existing.target.type !== 'lineitem' ? existing.target.type : 'assign');
  const targetType = lti ? 'lineitem' : moodleType;
  const [courseId, setCourseId] = useState(String(existing?.lmsCourseId ?? ''));
  const [lineItemUrl, setLineItemUrl] = useState(existing?.target.type === 'lineitem' ? existing.target.lineItemUrl : '');
  const { errors, busy, submit } = useSubmit<Mapping>(shownFields(!existing, targetType));
  const target = existing?.target.type === 'lineitem' ? undefined : existing?.target;

  async function onSubmit(event: Event) {
    event.preventDefault();
    const v = formValues(event.currentTarget as HTMLFormElement);
    const body: Record<string, unknown> = {
      lmsCourseId: numberOrText(v.lmsCourseId),
      target:
        targetType === 'lineitem'
          ? { type: 'lineitem', lineItemUrl: lineItemUrl.trim() }
          : targetType === 'assign'
            ? { type: 'assign', assignmentId: numberOrText(v['target.assignmentId']), cmid: numberOrText(v['target.cmid']) }
            : { type: 'activity', component: v['target.component'] ?? '', cmid: numberOrText(v['target.cmid']), itemNumber: numberOrText(v['target.itemNumber']) ?? 0 },
      userMatch: v.userMatch,
      scoreField: v.scoreField,
      sourceScale: { min: numberOrText(v['sourceScale.min']), max: numberOrText(v['sourceScale.max']) },
      attemptPolicy: v.attemptPolicy,
      enabled: v.enabled === 'on',
      requireSignedUrl: v.requireSignedUrl === 'on',
    };
    const quiz = (v.speechaceQuizId ?? '').trim();
    if (existing) body.speechaceQuizId = quiz === '' ? null : quiz;
    else {
      if (quiz !== '') body.speechaceQuizId = quiz;
      body.assessmentId = v.assessmentId ?? '';
      body.connectionId = connectionId;
    }
    const saved = await submit(() => (existing ? api<Mapping>('PATCH', `/mappings/${existing.id}`, body) : api<Mapping>('POST', '/mappings', body)));
    if (saved) props.onSaved(saved);
  }

  return (
    <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label={existing ? 'Edit mapping' : 'New mapping'}>
      {existing ? (
        <p>
          Assessment {props.assessments.find((a) => a.id === existing.assessmentId)?.name ?? existing.assessmentId} → connection{' '}
          {props.connections.find((c) => c.id === existing.connectionId)?.name ?? existing.connectionId}
        </p>
      ) : (
        <>
          <SelectField label="Assessment" name="assessmentId" errors={errors} options={[{ value: '', label: 'Choose an assessment' }, ...props.assessments.map((a) => ({ value: a.id, label: `${a.name} (${a.speechaceCourseId})` }))]} />
          <SelectField label="Connection" name="connectionId" errors={errors} value={connectionId} onChange={setConnectionId} options={[{ value: '', label: 'Choose a connection' }, ...props.connections.map((c) => ({ value: c.id, label: c.name }))]} />
        </>
      )}
      <Field label="Speechace quiz id" name="speechaceQuizId" errors={errors} hint="Empty: every quiz of the assessment" input={{ defaultValue: existing?.speechaceQuizId ?? '' }} />
      <Field label="LMS course id" name="lmsCourseId" errors={errors} input={{ type: 'number', min: 1, value: courseId, onInput: (e) => setCourseId((e.currentTarget as HTMLInputElement).value) }} />
      <fieldset>
        <legend>Grade item</legend>
        {lti ? (
          <LineItemPicker connectionId={connectionId} courseId={courseId} url={lineItemUrl} onUrl={setLineItemUrl} errors={errors} />
        ) : (
          <>
        <SelectField label="Item type" name="target.type" errors={errors} value={moodleType} onChange={setMoodleType}
          options={[{ value: 'assign', label: 'Assignment (mod_assign)' }, { value: 'activity', label: 'Other activity (e.g. mod_lti)' }]} />
        {targetType === 'assign' ? (
          <Field label="Assignment id" name="target.assignmentId" errors={errors} hint="The assignment instance id, not the cmid" input={{ type: 'number', min: 1, defaultValue: target?.type === 'assign' ? target.assignmentId : '' }} />
        ) : (
          <>
            <Field label="Component" name="target.component" errors={errors} hint="e.g. mod_lti" input={{ defaultValue: target?.type === 'activity' ? target.component : '' }} />
            <Field label="Item number" name="target.itemNumber" errors={errors} hint="Usually 0" input={{ type: 'number', min: 0, defaultValue: target?.type === 'activity' ? target.itemNumber : 0 }} />
          </>
        )}
        <Field label="Course-module id (cmid)" name="target.cmid" errors={errors} input={{ type: 'number', min: 1, defaultValue: target?.cmid ?? '' }} />
          </>
        )}
      </fieldset>
      {lti ? (
        <SelectField label="Match users on" name="userMatch" errors={errors} value="id" options={LTI_USER_MATCH}
          hint="An LTI platform grades its users by its own user id (the launch's sub; in Moodle the user id): the callback's user id must be that" />
      ) : (
        <SelectField label="Match users on" name="userMatch" errors={errors} value={existing?.userMatch} options={USER_MATCHES.map((m) => ({ value: m, label: USER_MATCH_LABELS[m] ?? m }))} />
      )}
      <SelectField label="Score field" name="scoreField" errors={errors} value={existing?.scoreField} options={SCORE_FIELDS} />
      <fieldset>
        <legend>Speechace score range</legend>
        <Field label="Lowest score" name="sourceScale.min" errors={errors} input={{ type: 'number', step: 'any', defaultValue: existing?.sourceScale.min ?? 0 }} />
        <Field label="Highest score" name="sourceScale.max" errors={errors} input={{ type: 'number', step: 'any', defaultValue: existing?.sourceScale.max ?? 9 }} />
      </fieldset>
      <SelectField label="Attempt policy" name="attemptPolicy" errors={errors} value={existing?.attemptPolicy ?? 'latest'} options={ATTEMPT_POLICIES} />
      <CheckboxField label="Enabled" name="enabled" checked={existing?.enabled ?? true} errors={errors} />
      <CheckboxField label="Require signed URLs" name="requireSignedUrl" checked={existing?.requireSignedUrl ?? false} errors={errors} />
      <GeneralErrors errors={errors} />
      <div class="buttons">
        <button type="submit" disabled={busy}>{existing ? 'Save mapping' : 'Create mapping'}</button>
        <button type="button" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  );
}
