import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, query } from '../api/client';
import { SYNC_STATES, type Mapping, type Page, type SyncListItem } from '../api/types';
import { coursesOf, useCatalog } from '../components/catalog';
import { describeTarget, formatTime, orDash } from '../components/format';
import { SelectField } from '../components/form';
import { DataTable, LoadState, Notice } from '../components/status';
import { useApi } from '../components/use-api';
import { isAdmin, useMe } from '../session';

const RETRY_BUTTON_STATES = new Set(['failed', 'blocked']);
const NO_ERRORS = { byField: {}, general: [] };

export function SyncsPage() {
  const me = useMe();
  const admin = isAdmin(me);
  const location = useLocation();
  const [state, setState] = useState(location.query.state ?? '');
  const [course, setCourse] = useState(location.query.lmsCourseId ?? '');
  const [mappingId, setMappingId] = useState(location.query.mappingId ?? '');
  const [older, setOlder] = useState<SyncListItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const { mappings } = useCatalog();
  const filter = { state, lmsCourseId: course, mappingId };
  const page = useApi(() => api<Page<SyncListItem>>('GET', `/syncs${query({ ...filter, limit: 50 })}`), JSON.stringify(filter), 3000);
  const mappingById = new Map((mappings.data ?? []).map((m) => [m.id, m]));

  function changeFilter(name: 'state' | 'lmsCourseId' | 'mappingId', value: string) {
    ({ state: setState, lmsCourseId: setCourse, mappingId: setMappingId })[name](value);
    // In the address too, so a reload or a shared link shows the same rows.
    location.route(`/console/syncs${query({ ...filter, [name]: value })}`, true);
    setOlder([]);
    setCursor(null);
    setNotice(null);
  }

  async function loadOlder() {
    const from = cursor ?? page.data?.nextCursor;
    if (!from) return;
    const next = await api<Page<SyncListItem>>('GET', `/syncs${query({ ...filter, limit: 50, cursor: from })}`);
    setOlder((rows) => [...rows, ...next.items]);
    setCursor(next.nextCursor ?? '');
  }

  async function act(action: () => Promise<string>) {
    try {
      setNotice({ text: await action(), kind: 'ok' });
    } catch (e) {
      setNotice({ text: e instanceof ApiError ? e.message : String(e), kind: 'error' });
    }
    await page.reload();
  }

  const retryOne = (row: SyncListItem) => act(async () => {
    await api('POST', `/syncs/${row.id}/retry`);
    return `Sync for student ${row.userRef} is back in the queue`;
  });
  const retryAllFailed = () => act(async () => {
    const body: Record<string, unknown> = { state: 'failed' };
    if (course) body.lmsCourseId = Number(course);
    if (mappingId) body.mappingId = mappingId;
    const { requeued } = await api<{ requeued: number }>('POST', '/syncs/retry', body);
    return `${requeued} failed sync${requeued === 1 ? '' : 's'} put back in the queue`;
  });

  const moreCursor = cursor === null ? page.data?.nextCursor : cursor || null;
  return (
    <section>
      <h1>Syncs</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter syncs">
        <SelectField label="State" name="state" errors={NO_ERRORS} value={state} onChange={(v) => changeFilter('state', v)}
          options={[{ value: '', label: 'Any state' }, ...SYNC_STATES]} />
        <SelectField label="Course" name="lmsCourseId" errors={NO_ERRORS} value={course} onChange={(v) => changeFilter('lmsCourseId', v)}
          options={[{ value: '', label: 'Every course' }, ...coursesOf(me, mappings.data).map((c) => ({ value: String(c), label: `Course ${c}` }))]} />
        <SelectField label="Mapping" name="mappingId" errors={NO_ERRORS} value={mappingId} onChange={(v) => changeFilter('mappingId', v)}
          options={[{ value: '', label: 'Every mapping' }, ...(mappings.data ?? []).map((m) => ({ value: m.id, label: mappingLabel(m) }))]} />
        {admin && (
          <button type="button" onClick={() => void retryAllFailed()}>
            Retry all failed
          </button>
        )}
      </form>
      <Notice text={notice?.text ?? null} kind={notice?.kind} />
      <LoadState data={page.data} error={page.error}>
        {(data) => {
          const rows = [...data.items, ...older];
          return (
            <>
              <DataTable label="Syncs" empty="No syncs match." columns={['Student', 'Course', 'Item', 'Grade', 'State', 'Reason', 'Created']} actions rows={rows}>
                {(row) => {
                  const mapping = mappingById.get(row.mappingId);
                  return (
                    <tr key={row.id} data-state={row.state}>
                      <td>{row.userRef}</td>
                      <td>{row.lmsCourseId}</td>
                      <td>{mapping ? `${describeTarget(mapping.target)} · ${mapping.scoreField}` : row.mappingId}</td>
                      <td>{orDash(row.grade)}</td>
                      <td><span class={`state state-${row.state}`}>{row.state}</span></td>
                      <td>{orDash(row.reason)}</td>
                      <td>{formatTime(row.createdAt)}</td>
                      <td class="actions">
                        <a href={`/console/syncs/${row.id}`} aria-label={`Details of the sync for student ${row.userRef}, created ${formatTime(row.createdAt)}`}>
                          Details
                        </a>
                        {admin && RETRY_BUTTON_STATES.has(row.state) && (
                          <button type="button" onClick={() => void retryOne(row)}>
                            Retry
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                }}
              </DataTable>
              {moreCursor && (
                <button type="button" onClick={() => void loadOlder()}>
                  Show older syncs
                </button>
              )}
            </>
          );
        }}
      </LoadState>
    </section>
  );
}

export function mappingLabel(m: Mapping): string {
  return `Course ${m.lmsCourseId} · ${describeTarget(m.target)} · ${m.scoreField}`;
}
