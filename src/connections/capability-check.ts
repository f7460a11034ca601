import { capabilityById, GRADE_SYNC_CAPABILITIES, MoodleCapability } from '../lms/moodle/moodle-capabilities';
import { MoodleSession } from '../lms/moodle/moodle.client';
import { MappingEntity } from '../mappings/mapping.entity';

export interface CapabilityFinding {
  /** Capabilities the token user lacks in at least one mapped course. */
  missing: string[];
  /** Missing ones that stop grades of this connection's mappings (the rest matter only in some courses). */
  blocking: string[];
  /** Courses the probe could not open, with Moodle's reason. */
  unchecked: { courseId: number; reason: string }[];
}

/** The capabilities a connection's mappings need: the role's, plus the :view capability of any other activity module mapped. */
export function capabilitiesToProbe(mappings: readonly MappingEntity[]): string[] {
  const ids = GRADE_SYNC_CAPABILITIES.map((c) => c.id);
  for (const m of mappings) {
    if (m.target.type !== 'activity') continue;
    const view = `mod/${m.target.component.replace(/^mod_/, '')}:view`;
    if (!ids.includes(view)) ids.push(view);
  }
  return ids;
}

/** Whether a missing capability stops grades of these mappings (rather than only in some courses). */
export function blocksMappings(id: string, mappings: readonly MappingEntity[]): boolean {
  const capability: MoodleCapability | undefined = capabilityById(id);
  if (!capability) return mappings.some((m) => m.target.type === 'activity' && `mod/${m.target.component.replace(/^mod_/, '')}:view` === id);
  switch (capability.neededFor) {
    case 'always':
      return true;
    case 'situational':
      return false;
    case 'assign':
      return mappings.some((m) => m.target.type === 'assign');
    case 'activity':
      return mappings.some((m) => m.target.type === 'activity');
    case 'lti':
      return mappings.some((m) => m.target.type === 'activity' && m.target.component === 'mod_lti');
    case 'match-by-username-or-idnumber':
      return mappings.some((m) => m.userMatch === 'username' || m.userMatch === 'idnumber');
    case 'match-by-email':
      return mappings.some((m) => m.userMatch === 'email');
  }
}

/**
 * Asks Moodle, per mapped course and without writing anything, which of the capabilities the token
 * user lacks: one call for all of them, and one per capability only when that call says some are missing.
 */
export async function probeCapabilities(lms: MoodleSession, mappings: readonly MappingEntity[]): Promise<CapabilityFinding> {
  const wanted = capabilitiesToProbe(mappings);
  const missing = new Set<string>();
  const unchecked: CapabilityFinding['unchecked'] = [];
  for (const courseId of [...new Set(mappings.map((m) => m.lmsCourseId))]) {
    const all = await lms.holdsCapabilities(courseId, wanted);
    if (!all.accessible) {
      unchecked.push({ courseId, reason: all.warnings.join('; ') });
      continue;
    }
    if (all.held) continue;
    for (const id of wanted) if (!missing.has(id) && !(await lms.holdsCapabilities(courseId, [id])).held) missing.add(id);
  }
  const ordered = wanted.filter((id) => missing.has(id));
  return { missing: ordered, blocking: ordered.filter((id) => blocksMappings(id, mappings)), unchecked };
}
