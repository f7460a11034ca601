import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Me } from './api/types';

/** The token lives in sessionStorage only: it goes when the tab closes, and no other site or tab reads it. */
const TOKEN_KEY = 'speechace-grade-sync.token';

export interface Session {
  me: Me | null;
  /** Why the last session ended, when the service ended it (a revoked token). */
  notice: string | null;
}

let current: Session = { me: null, notice: null };
const listeners = new Set<(s: Session) => void>();

function publish(next: Session): void {
  current = next;
  for (const listener of listeners) listener(current);
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signedIn(token: string, me: Me): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  publish({ me, notice: null });
}

export function signedOut(notice: string | null = null): void {
  sessionStorage.removeItem(TOKEN_KEY);
  publish({ me: null, notice });
}

export function useSession(): Session {
  const [session, setSession] = useState(current);
  useEffect(() => {
    listeners.add(setSession);
    setSession(current);
    return () => void listeners.delete(setSession);
  }, []);
  return session;
}

export function isAdmin(me: Me | null): boolean {
  return me?.role === 'admin';
}

/** The signed-in token's role and course limits, for every page of the console. */
export const MeContext = createContext<Me>({ name: '', role: 'viewer', lmsCourseIds: [] });

export function useMe(): Me {
  return useContext(MeContext);
}
