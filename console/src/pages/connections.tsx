import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Connection, ConnectionCheck } from '../api/types';
import { useCatalog } from '../components/catalog';
import { DataTable, LoadState, Notice } from '../components/status';
import { isAdmin, useMe } from '../session';
import { ConnectionForm } from './connection-form';
import { ConnectionReport } from './connection-report';

export function ConnectionsPage() {
  const admin = isAdmin(useMe());
  const { connections, mappings } = useCatalog();
  const [editing, setEditing] = useState<Connection | 'new' | null>(null);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [report, setReport] = useState<ConnectionCheck | null>(null);
  const [testing, setTesting] = useState<string | null>(null);

  async function saved(c: Connection) {
    setEditing(null);
    setNotice({ text: `Connection ${c.name} saved`, kind: 'ok' });
    await connections.reload();
  }

  async function toggle(c: Connection) {
    try {
      await api('PATCH', `/connections/${c.id}`, { enabled: !c.enabled });
      setNotice({ text: `Connection ${c.name} ${c.enabled ? 'disabled: its syncs wait (paused)' : 'enabled'}`, kind: 'ok' });
    } catch (e) {
      setNotice({ text: e instanceof ApiError ? e.message : String(e), kind: 'error' });
    }
    await connections.reload();
  }

  async function test(c: Connection) {
    setTesting(c.id);
    setReport(null);
    try {
      setReport(await api<ConnectionCheck>('POST', `/connections/${c.id}/test`));
      setNotice(null);
    } catch (e) {
      setNotice({ text: e instanceof ApiError ? e.message : String(e), kind: 'error' });
    } finally {
      setTesting(null);
    }
  }

  return (
    <section>
      <h1>Connections</h1>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      {admin && editing === null && (
        <button type="button" onClick={() => setEditing('new')}>
          New connection
        </button>
      )}
      {admin && editing !== null && (
        <section class="panel">
          <h2>{editing === 'new' ? 'New connection' : `Edit ${editing.name}`}</h2>
          <ConnectionForm key={editing === 'new' ? 'new' : editing.id} existing={editing === 'new' ? null : editing} onSaved={(c) => void saved(c)} onCancel={() => setEditing(null)} />
        </section>
      )}
      <LoadState data={connections.data} error={connections.error}>
        {(list) => (
          <DataTable label="Connections" empty="No connection yet." columns={['Name', 'Kind', 'Address', 'Token', 'Limits', 'Enabled']} actions={admin} rows={list}>
            {(c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.kind}</td>
                <td>{c.baseUrl}</td>
                <td>{c.kind === 'lti-ags' ? 'none: the LTI tool key signs' : c.hasToken ? 'stored' : 'missing'}</td>
                <td>
                  {c.rateLimitPerSecond ?? 'default'}/s, {c.maxConcurrency ?? 'default'} at once
                </td>
                <td>{c.enabled ? 'yes' : 'no'}</td>
                {admin && (
                  <td class="actions">
                    <button type="button" aria-label={`Edit ${c.name}`} onClick={() => setEditing(c)}>Edit</button>
                    <button type="button" aria-label={`${c.enabled ? 'Disable' : 'Enable'} ${c.name}`} onClick={() => void toggle(c)}>{c.enabled ? 'Disable' : 'Enable'}</button>
                    <button type="button" aria-label={`Test ${c.name}`} disabled={testing === c.id} onClick={() => void test(c)}>{testing === c.id ? 'Testing…' : 'Test'}</button>
                  </td>
                )}
              </tr>
            )}
          </DataTable>
        )}
      </LoadState>
      {report && <ConnectionReport report={report} mappings={mappings.data ?? []} />}
    </section>
  );
}
