import { api } from '../api/client';
import type { Assessment, Connection, Mapping, Me } from '../api/types';
import { useApi } from './use-api';

/** Mappings, connections and assessments the token may see (the API limits them to its courses). */
export function useCatalog() {
  const mappings = useApi(() => api<Mapping[]>('GET', '/mappings'), 'mappings');
  const connections = useApi(() => api<Connection[]>('GET', '/connections'), 'connections');
  const assessments = useApi(() => api<Assessment[]>('GET', '/assessments'), 'assessments');
  return { mappings, connections, assessments };
}

/** The LMS courses to offer: the token's own limit, else every course a mapping names. */
export function coursesOf(me: Me, mappings: Mapping[] | null): number[] {
  if (me.lmsCourseIds) return [...me.lmsCourseIds].sort((a, b) => a - b);
  return [...new Set((mappings ?? []).map((m) => m.lmsCourseId))].sort((a, b) => a - b);
}
