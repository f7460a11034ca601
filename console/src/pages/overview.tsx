import { api, query } from '../api/client';
import { SYNC_STATES, type Page, type SyncListItem, type SyncSummary } from '../api/types';
import { formatAge, formatTime, orDash } from '../components/format';
import { DataTable, LoadState } from '../components/status';
import { useApi } from '../components/use-api';

/** Syncs by state, how long the oldest waiting one has waited, and the latest failures. */
export function OverviewPage() {
  const summary = useApi(() => api<SyncSummary>('GET', '/syncs/summary'), 'summary', 5000);
  const failures = useApi(() => api<Page<SyncListItem>>('GET', `/syncs${query({ state: 'failed', limit: 10 })}`), 'failures', 5000);
  return (
    <section>
      <h1>Overview</h1>
      <LoadState data={summary.data} error={summary.error}>
        {(s) => (
          <>
            <h2>Syncs by state</h2>
            <ul class="counts">
              {SYNC_STATES.map((state) => (
                <li key={state}>
                  <a href={`/console/syncs?state=${state}`}>
                    <span class={`state state-${state}`}>{state}</span> <strong>{s.byState[state]}</strong>
                  </a>
                </li>
              ))}
            </ul>
            <p>
              Oldest waiting sync:{' '}
              {s.oldestOpenAgeSeconds === null ? 'none is waiting' : `${formatAge(s.oldestOpenAgeSeconds)} old (created ${formatTime(s.oldestOpenCreatedAt)})`}
            </p>
          </>
        )}
      </LoadState>
      <h2>Latest failures</h2>
      <LoadState data={failures.data} error={failures.error}>
        {(page) => (
          <DataTable label="Latest failures" empty="No failed syncs." columns={['When', 'Student', 'Course', 'Reason']} rows={page.items}>
            {(row) => (
              <tr key={row.id}>
                <td>
                  <a href={`/console/syncs/${row.id}`}>{formatTime(row.updatedAt)}</a>
                </td>
                <td>{row.userRef}</td>
                <td>{row.lmsCourseId}</td>
                <td>{orDash(row.reason)}{row.errorCode ? ` (${row.errorCode})` : ''}</td>
              </tr>
            )}
          </DataTable>
        )}
      </LoadState>
    </section>
  );
}
