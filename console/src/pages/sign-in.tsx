import { api } from '../api/client';
import type { Me } from '../api/types';
import { Field, formValues, GeneralErrors, useSubmit } from '../components/form';
import { Notice } from '../components/status';
import { signedIn } from '../session';

/** A token from POST /api/v1/tokens (or ADMIN_API_TOKEN); it is kept in this tab's sessionStorage only. */
export function SignIn(props: { notice: string | null }) {
  const { errors, busy, submit } = useSubmit<Me>(['token'], 'token');
  async function onSubmit(event: Event) {
    event.preventDefault();
    const token = (formValues(event.currentTarget as HTMLFormElement).token ?? '').trim();
    const me = await submit(async () => {
      if (!token) throw new Error('Enter an API token');
      return api<Me>('GET', '/me', undefined, token);
    });
    if (me) signedIn(token, me);
  }
  return (
    <main id="main" class="sign-in">
      <h1>Grade sync console</h1>
      <Notice text={props.notice} kind="error" />
      <form onSubmit={(e) => void onSubmit(e)} noValidate>
        <Field label="API token" name="token" errors={errors} hint="An admin or viewer token. It is kept in this browser tab only." input={{ type: 'password', autoComplete: 'off', required: true }} />
        <GeneralErrors errors={errors} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
