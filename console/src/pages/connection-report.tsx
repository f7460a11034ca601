import type { CheckProblem, ConnectionCheck, Mapping } from '../api/types';
import { describeTarget, orDash } from '../components/format';

/** POST /connections/:id/test as a person reads it: site, token, functions, capabilities, then each mapping. */
export function ConnectionReport(props: { report: ConnectionCheck; mappings: Mapping[] }) {
  const r = props.report;
  const missingFunctions = r.functions.missing;
  return (
    <section class={`report ${r.ok ? 'ok' : 'not-ok'}`} aria-label="Connection test report">
      <h3>{r.ok ? 'Everything works' : 'Problems found'}</h3>
      <dl class="facts">
        <dt>Reachable</dt>
        <dd>{r.reachable ? 'yes' : 'no'}</dd>
        <dt>Token accepted</dt>
        <dd>{r.tokenValid === null ? 'unknown' : r.tokenValid ? 'yes' : 'no'}</dd>
        <dt>Site</dt>
        <dd>{orDash(r.siteName)}{r.release ? ` (Moodle ${r.release})` : ''}</dd>
        <dt>Web-service user</dt>
        <dd>{orDash(r.username)}</dd>
      </dl>
      {r.scopes ? (
        <>
          <h4>Missing scopes</h4>
          {r.scopes.missing === null ? <p>No access token was issued.</p> : r.scopes.missing.length === 0 ? <p>None: the platform granted all {r.scopes.required.length} scopes.</p> : <List items={r.scopes.missing} label="Missing scopes" />}
        </>
      ) : (
        <>
          <h4>Missing functions</h4>
          {missingFunctions === null ? <p>Moodle did not say.</p> : missingFunctions.length === 0 ? <p>None: the token may call all {r.functions.required.length} functions.</p> : <List items={missingFunctions} label="Missing functions" />}
        </>
      )}
      <h4>Missing capabilities</h4>
      {r.missingCapabilities === null ? <p>Not checked (no mapping, or the check could not run).</p> : r.missingCapabilities.length === 0 ? <p>None.</p> : <List items={r.missingCapabilities} label="Missing capabilities" />}
      <Problems title="Problems" problems={r.problems} />
      <Problems title="Warnings" problems={r.warnings} />
      <h4>Mappings on this connection</h4>
      {r.mappings.length === 0 && <p>No mapping uses this connection yet.</p>}
      <ul class="mapping-checks">
        {r.mappings.map((m) => {
          const mapping = props.mappings.find((x) => x.id === m.mappingId);
          return (
            <li key={m.mappingId}>
              <strong>
                Course {m.lmsCourseId} · {describeTarget(m.target)}
                {mapping ? ` · ${mapping.scoreField}` : ''}
              </strong>
              {m.enabled ? '' : ' (disabled)'}:{' '}
              {m.problems.length === 0 ? 'works' : `${m.problems.length} problem${m.problems.length === 1 ? '' : 's'}`}
              {m.grademin !== null && m.grademax !== null ? ` · grade range ${m.grademin}–${m.grademax}` : ''}
              {m.itemFound === false ? ' · grade item not found' : ''}
              {m.writable === false ? ' · grade item locked' : ''}
              <Problems title="" problems={[...m.problems, ...m.warnings]} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function List(props: { items: string[]; label: string }) {
  return (
    <ul aria-label={props.label}>
      {props.items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

function Problems(props: { title: string; problems: CheckProblem[] }) {
  if (props.problems.length === 0) return null;
  return (
    <>
      {props.title && <h4>{props.title}</h4>}
      <ul class="problems">
        {props.problems.map((p, i) => (
          <li key={i}>
            <code>{p.code}</code>: {p.message}
            {p.capabilities && p.capabilities.length > 0 && <> Missing: {p.capabilities.map((c) => <code key={c}>{c} </code>)}</>}
            {p.possibleCauses && p.possibleCauses.length > 0 && (
              <ul>
                {p.possibleCauses.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
