import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useId, useState } from 'preact/hooks';
import { ApiError } from '../api/client';

/** API validation messages by the field they name ("target.cmid must be …", "token: changing baseUrl …"), the rest for the form. */
export interface FormErrors {
  byField: Record<string, string[]>;
  general: string[];
}

const NO_ERRORS: FormErrors = { byField: {}, general: [] };

/** `fallbackField`: where messages naming no field go (a one-field form); else they are the form's. */
export function sortMessages(messages: string[], fields: readonly string[], fallbackField?: string): FormErrors {
  const byLength = [...fields].sort((a, b) => b.length - a.length);
  const out: FormErrors = { byField: {}, general: [] };
  for (const message of messages) {
    const field = byLength.find((f) => message === f || message.startsWith(`${f} `) || message.startsWith(`${f}:`) || message.startsWith(`${f}.`)) ?? fallbackField;
    if (field) (out.byField[field] ??= []).push(message);
    else out.general.push(message);
  }
  return out;
}

/** Submits a form to the API and keeps its errors sorted by field. */
export function useSubmit<T>(fields: readonly string[], fallbackField?: string) {
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  async function submit(action: () => Promise<T>): Promise<T | null> {
    setBusy(true);
    try {
      const result = await action();
      setErrors(NO_ERRORS);
      return result;
    } catch (e) {
      setErrors(sortMessages(e instanceof ApiError ? e.messages : [e instanceof Error ? e.message : String(e)], fields, fallbackField));
      return null;
    } finally {
      setBusy(false);
    }
  }
  return { errors, busy, submit, clear: () => setErrors(NO_ERRORS) };
}

export function GeneralErrors(props: { errors: FormErrors }) {
  if (props.errors.general.length === 0) return null;
  return (
    <div role="alert" class="error">
      {props.errors.general.map((m) => (
        <p key={m}>{m}</p>
      ))}
    </div>
  );
}

/** What the console's text and number fields set on their input. */
interface InputProps {
  type?: string;
  defaultValue?: string | number;
  value?: string;
  onInput?: (event: Event) => void;
  required?: boolean;
  autoComplete?: string;
  min?: number;
  max?: number;
  step?: string;
}

interface FieldProps {
  label: string;
  /** The API's name for the field: its messages are shown here. */
  name: string;
  errors: FormErrors;
  hint?: string;
}

function Described(props: FieldProps & { id: string; children: (describedBy: string | undefined, invalid: boolean) => ComponentChildren }) {
  const messages = props.errors.byField[props.name] ?? [];
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  const describedBy = [props.hint ? hintId : null, messages.length ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children(describedBy, messages.length > 0)}
      {props.hint && (
        <small id={hintId} class="hint">
          {props.hint}
        </small>
      )}
      {messages.length > 0 && (
        <span id={errorId} class="field-error">
          {messages.join('; ')}
        </span>
      )}
    </div>
  );
}

export function Field(props: FieldProps & { input?: InputProps }) {
  const id = useId();
  return (
    <Described {...props} id={id}>
      {(describedBy, invalid) => {
        // Preact types <input> as a union keyed by `type`; these props are valid for each type the console uses.
        const attrs = { id, name: props.name, 'aria-describedby': describedBy, 'aria-invalid': invalid || undefined, ...props.input } as InputHTMLAttributes<HTMLInputElement>;
        return <input {...attrs} />;
      }}
    </Described>
  );
}

export function SelectField(props: FieldProps & { options: readonly (string | { value: string; label: string })[]; value?: string; onChange?: (value: string) => void; required?: boolean }) {
  const id = useId();
  return (
    <Described {...props} id={id}>
      {(describedBy, invalid) => (
        <select
          id={id}
          name={props.name}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          required={props.required}
          value={props.value}
          onChange={(e) => props.onChange?.((e.currentTarget as HTMLSelectElement).value)}
        >
          {props.options.map((o) => {
            const option = typeof o === 'string' ? { value: o, label: o } : o;
            return (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            );
          })}
        </select>
      )}
    </Described>
  );
}

export function CheckboxField(props: { label: string; name: string; checked: boolean; errors: FormErrors }) {
  const id = useId();
  const messages = props.errors.byField[props.name] ?? [];
  return (
    <div class="field checkbox">
      <input type="checkbox" id={id} name={props.name} defaultChecked={props.checked} aria-invalid={messages.length > 0 || undefined} />
      <label for={id}>{props.label}</label>
      {messages.length > 0 && <span class="field-error">{messages.join('; ')}</span>}
    </div>
  );
}

/** The form's values by name (unchecked checkboxes are absent). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  new FormData(form).forEach((value, key) => {
    if (typeof value === 'string') out[key] = value;
  });
  return out;
}

/** A number field as the API wants it: absent when empty, else the number (or the text, so the API names the problem). */
export function numberOrText(value: string | undefined): number | string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}
