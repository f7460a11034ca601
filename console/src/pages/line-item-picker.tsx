import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { LineItem } from '../api/types';
import { Field, SelectField, type FormErrors } from '../components/form';

/**
 * The target of an lti-ags mapping: a line item picked from those the platform lists for the
 * course, or its URL pasted (a platform that lists none, or another container).
 */
export function LineItemPicker(props: { connectionId: string; courseId: string; url: string; onUrl: (url: string) => void; errors: FormErrors }) {
  const [items, setItems] = useState<LineItem[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const course = /^\d+$/.test(props.courseId.trim()) ? Number(props.courseId) : null;

  useEffect(() => {
    setItems(null);
    setProblem(null);
    if (course === null || course < 1) return undefined;
    let current = true;
    // Typing a course id asks once it stops changing, not on every key.
    const timer = setTimeout(() => {
      api<LineItem[]>('GET', `/connections/${props.connectionId}/lineitems?courseId=${course}`)
        .then((list) => current && setItems(list))
        .catch((e: unknown) => current && setProblem(e instanceof ApiError ? e.message : String(e)));
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [props.connectionId, course]);

  const hint =
    course === null
      ? 'Enter the LMS course id to list its line items'
      : problem
        ? `The platform's line items could not be listed (${problem}): paste the URL below`
        : items === null
          ? 'Asking the platform…'
          : items.length === 0
            ? `The platform lists no line item in course ${course}: paste the URL below`
            : `${items.length} line item${items.length === 1 ? '' : 's'} in course ${course}`;
  const listed = items?.some((i) => i.lineItemUrl === props.url) ?? false;
  return (
    <>
      <SelectField
        label="Line item"
        name="lineItem"
        errors={props.errors}
        hint={hint}
        value={listed ? props.url : ''}
        onChange={(url) => url && props.onUrl(url)}
        options={[{ value: '', label: listed || !props.url ? 'Choose a line item' : 'Not listed: the URL below' }, ...(items ?? []).map((i) => ({ value: i.lineItemUrl, label: `${i.label} (max ${i.scoreMaximum})` }))]}
      />
      <Field
        label="Line item URL"
        name="target.lineItemUrl"
        errors={props.errors}
        hint="Filled by the choice above, or paste it as the platform gives it, query string included"
        input={{ type: 'url', value: props.url, onInput: (e) => props.onUrl((e.currentTarget as HTMLInputElement).value) }}
      />
    </>
  );
}
