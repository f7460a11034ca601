import type { ComponentChildren } from 'preact';

/** Loading, failed or the content: one place for how a page waits and fails. */
export function LoadState<T>(props: { data: T | null; error: string | null; children: (data: T) => ComponentChildren }) {
  if (props.error) return <p role="alert" class="error">{props.error}</p>;
  if (props.data === null) return <p aria-live="polite">Loading…</p>;
  return <>{props.children(props.data)}</>;
}

/** A result announced to screen readers (role=status). */
export function Notice(props: { text: string | null; kind?: 'ok' | 'error' }) {
  if (!props.text) return null;
  return (
    <p role={props.kind === 'error' ? 'alert' : 'status'} class={props.kind === 'error' ? 'error' : 'notice'}>
      {props.text}
    </p>
  );
}

/** A wide table scrolls on its own at narrow widths; the region can take focus to scroll by keyboard. */
export function TableRegion(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/**
 * A labelled table, or the `empty` sentence when there are no rows. `false` columns are left out
 * (columns only some tokens see); `actions` adds a last column named for screen readers only.
 */
export function DataTable<T>(props: {
  label: string;
  columns: readonly (string | false)[];
  actions?: boolean;
  rows: readonly T[];
  empty: string;
  children: (row: T) => ComponentChildren;
}) {
  if (props.rows.length === 0) return <p>{props.empty}</p>;
  return (
    <TableRegion label={props.label}>
      <table>
        <thead>
          <tr>
            {props.columns.filter((c): c is string => c !== false).map((c) => (
              <th scope="col" key={c}>{c}</th>
            ))}
            {props.actions && <th scope="col"><span class="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>{props.rows.map((row) => props.children(row))}</tbody>
      </table>
    </TableRegion>
  );
}
