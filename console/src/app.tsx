import { useEffect, useRef, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api } from './api/client';
import type { Me } from './api/types';
import { AssessmentsPage } from './pages/assessments';
import { ConnectionsPage } from './pages/connections';
import { GradesPage } from './pages/grades';
import { LtiToolPage } from './pages/lti-tool';
import { MappingsPage } from './pages/mappings';
import { NotFound } from './pages/not-found';
import { OverviewPage } from './pages/overview';
import { QuarantinePage } from './pages/quarantine';
import { SignIn } from './pages/sign-in';
import { SyncDetailPage } from './pages/sync-detail';
import { SyncsPage } from './pages/syncs';
import { isAdmin, MeContext, signedIn, signedOut, storedToken, useSession } from './session';

export const BASE = '/console';

const NAV: { path: string; label: string; adminOnly?: boolean }[] = [
  { path: '', label: 'Overview' },
  { path: '/syncs', label: 'Syncs' },
  { path: '/mappings', label: 'Mappings' },
  { path: '/connections', label: 'Connections' },
  { path: '/assessments', label: 'Assessments' },
  { path: '/grades', label: 'Grades' },
  { path: '/quarantine', label: 'Quarantine', adminOnly: true },
  { path: '/lti-tool', label: 'LTI tool', adminOnly: true },
];

export function App() {
  const session = useSession();
  const [restoring, setRestoring] = useState(() => storedToken() !== null);

  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    api<Me>('GET', '/me', undefined, token)
      .then((me) => signedIn(token, me))
      .catch(() => signedOut('Your session ended: sign in again'))
      .finally(() => setRestoring(false));
  }, []);

  if (restoring) return <p aria-live="polite">Loading…</p>;
  if (!session.me) return <SignIn notice={session.notice} />;
  return (
    <LocationProvider scope={BASE}>
      <Shell me={session.me} />
    </LocationProvider>
  );
}

/** The next person to sign in in this tab starts at the overview, not on the page the last one left. */
function signOut() {
  history.replaceState(null, '', BASE);
  signedOut();
}

function Shell(props: { me: Me }) {
  const { path } = useLocation();
  const admin = isAdmin(props.me);
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(path);
  // A new page moves keyboard and screen-reader focus to its content, as a page load would.
  useEffect(() => {
    if (path !== firstPath.current) main.current?.focus();
  }, [path]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Grade sync console</span>
        <span class="who">
          {props.me.name} · {props.me.role}
          {props.me.lmsCourseIds ? ` · courses ${props.me.lmsCourseIds.join(', ')}` : ''}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console">
        <ul>
          {NAV.filter((item) => admin || !item.adminOnly).map((item) => {
            const href = `${BASE}${item.path}`;
            const current = item.path === '' ? path === BASE || path === `${BASE}/` : path.startsWith(href);
            return (
              <li key={item.label}>
                <a href={href} aria-current={current ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" tabIndex={-1} ref={main}>
        <MeContext.Provider value={props.me}>
          <Router>
            <Route path={BASE} component={OverviewPage} />
            <Route path={`${BASE}/`} component={OverviewPage} />
            <Route path={`${BASE}/syncs`} component={SyncsPage} />
            <Route path={`${BASE}/syncs/:id`} component={SyncDetailPage} />
            <Route path={`${BASE}/mappings`} component={MappingsPage} />
            <Route path={`${BASE}/connections`} component={ConnectionsPage} />
            <Route path={`${BASE}/assessments`} component={AssessmentsPage} />
            <Route path={`${BASE}/grades`} component={GradesPage} />
            <Route path={`${BASE}/quarantine`} component={admin ? QuarantinePage : NotFound} />
            <Route path={`${BASE}/lti-tool`} component={admin ? LtiToolPage : NotFound} />
            <Route default component={NotFound} />
          </Router>
        </MeContext.Provider>
      </main>
    </>
  );
}
