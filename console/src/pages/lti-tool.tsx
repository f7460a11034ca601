import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { LtiTool, ToolKey } from '../api/types';
import { CopyButton } from '../components/copy-button';
import { formatTime } from '../components/format';
import { useApi } from '../components/use-api';
import { DataTable, LoadState, Notice } from '../components/status';

/** What to register in an LTI 1.3 platform, and the tool's signing keys (admins only). */
export function LtiToolPage() {
  const tool = useApi(() => api<LtiTool>('GET', '/lti/tool'), 'lti-tool');
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [confirming, setConfirming] = useState<ToolKey | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(action: () => Promise<string>) {
    setBusy(true);
    try {
      setNotice({ text: await action(), kind: 'ok' });
    } catch (e) {
      setNotice({ text: e instanceof ApiError ? e.message : String(e), kind: 'error' });
    } finally {
      setBusy(false);
      setConfirming(null);
      await tool.reload();
    }
  }

  const rotate = () =>
    act(async () => {
      const rotated = await api<LtiTool>('POST', '/lti/keys/rotate');
      return `New key ${rotated.kid} signs from now on. Give every platform the new public key below (a platform reading the JWKS URL gets it by itself) before you delete the old key: a platform that only knows the old key can no longer get tokens once it is deleted.`;
    });

  const remove = (key: ToolKey) =>
    act(async () => {
      await api('DELETE', `/lti/keys/${encodeURIComponent(key.kid)}`);
      return `Key ${key.kid} deleted`;
    });

  return (
    <section>
      <h1>LTI tool</h1>
      <p>Register these in each LTI 1.3 platform that an lti-ags connection grades (Moodle: the tool's "Public key type" RSA key or Keyset URL).</p>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      <LoadState data={tool.data} error={tool.error}>
        {(t) => (
          <>
            <div class="field">
              <label for="lti-public-key">Public key (PEM)</label>
              <textarea id="lti-public-key" readOnly rows={9} value={t.publicKeyPem} aria-describedby="lti-public-key-hint" />
              <small id="lti-public-key-hint" class="hint">
                The current key ({t.kid}): Moodle's "Public key" with "Public key type: RSA key"
              </small>
              <CopyButton text={t.publicKeyPem} label="Copy public key" />
            </div>
            <div class="field">
              <label for="lti-jwks-url">JWKS URL</label>
              <input id="lti-jwks-url" readOnly value={t.jwksUrl} aria-describedby="lti-jwks-url-hint" />
              <small id="lti-jwks-url-hint" class="hint">
                Every key as a JWK set: Moodle's "Keyset URL"; a platform reading it follows rotations by itself
              </small>
              <CopyButton text={t.jwksUrl} label="Copy JWKS URL" />
            </div>
            <h2>Keys</h2>
            <div class="buttons">
              <button type="button" disabled={busy} onClick={() => void rotate()}>
                Rotate key
              </button>
            </div>
            {confirming && (
              <section class="panel" aria-label="Confirm deleting a key">
                <p>
                  Delete key {confirming.kid}? Platforms that still verify with it can no longer get access tokens, and their syncs fail until they have the current key.
                </p>
                <div class="buttons">
                  <button type="button" disabled={busy} onClick={() => void remove(confirming)}>
                    Delete key {confirming.kid}
                  </button>
                  <button type="button" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </div>
              </section>
            )}
            <DataTable label="Tool keys" empty="No key yet." columns={['Key id', 'Created', 'Current']} actions rows={t.keys}>
              {(k) => (
                <tr key={k.kid}>
                  <td>{k.kid}</td>
                  <td>{formatTime(k.createdAt)}</td>
                  <td>{k.current ? 'yes: signs now' : 'no'}</td>
                  <td class="actions">
                    {!k.current && (
                      <button type="button" aria-label={`Delete key ${k.kid}`} onClick={() => setConfirming(k)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              )}
            </DataTable>
          </>
        )}
      </LoadState>
    </section>
  );
}
