/** Asks for a token once; it is checked against the API (a `projects` query) before it is kept. */
import { useState } from 'preact/hooks';
import { ApiError, gql } from '../api/client.ts';
import { PROJECTS } from '../api/queries.ts';
import { decodeClaims, expired } from '../model/access.ts';
import { Alert } from './parts.tsx';

export function SignIn(props: { notice: string | null; onSignedIn(token: string): void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = value.trim();
    if (!decodeClaims(token)) return setError('This is not a Weft token (a JWT: three parts separated by dots).');
    if (expired(decodeClaims(token), Date.now())) return setError('This token has expired: mint a new one (npm run token).');
    setBusy(true);
    setError(null);
    try {
      await gql(token, PROJECTS);
      props.onSignedIn(token);
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'UNAUTHENTICATED' ? `The API refused this token: ${err.message}` : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>Weft console</h1>
      {props.notice && (
        <p class="notice" role="alert">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          autocomplete="off"
          spellcheck={false}
          value={value}
          onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)}
          required
        />
        <p class="hint">
          A user or admin token. In development, <code>npm start</code> writes one to <code>data/dev-admin-token</code>; mint others with{' '}
          <code>npm run token</code>. It is kept in this tab's session storage only.
        </p>
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
