import { LmsError } from '../lms/moodle/moodle-errors';
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

/** The :view capabilities of activity modules mapped besides mod_lti (whose capability the role has). */
function otherModuleViews(mappings: readonly MappingEntity[]): string[] {
  const role = new Set(GRADE_SYNC_CAPABILITIES.map((c) => c.id));
  const views = mappings.flatMap((m) => (m.target.type === 'activity' ? [`mod/${m.target.component.replace(/^mod_/, '')}:view`] : []));
  return [...new Set(views)].filter((id) => !role.has(id));
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
 * user lacks: one call for the role's, one per capability only when that call says some are missing,
 * and one per other mapped module's :view capability (Moodle refuses the name of a capability it
 * does not have with invalidparameter: such a module has no :view check, so nothing is missing).
 */
export async function probeCapabilities(lms: MoodleSession, mappings: readonly MappingEntity[]): Promise<CapabilityFinding> {
  const role = GRADE_SYNC_CAPABILITIES.map((c) => c.id);
  const views = otherModuleViews(mappings);
  const missing = new Set<string>();
  const unchecked: CapabilityFinding['unchecked'] = [];
  const lacks = async (courseId: number, id: string): Promise<boolean> => {
    try {
      return !(await lms.holdsCapabilities(courseId, [id])).held;
    } catch (error) {
      if (error instanceof LmsError && error.code === 'invalidparameter') return false;
      throw error;
    }
  };
  for (const courseId of [...new Set(mappings.map((m) => m.lmsCourseId))]) {
    const all = await lms.holdsCapabilities(courseId, role);
    if (!all.accessible) {
      unchecked.push({ courseId, reason: all.warnings.join('; ') });
      continue;
    }
    const suspects = all.held ? views : [...role, ...views];
    for (const id of suspects) if (!missing.has(id) && (await lacks(courseId, id))) missing.add(id);
  }
  const ordered = [...role, ...views].filter((id) => missing.has(id));
  return { missing: ordered, blocking: ordered.filter((id) => blocksMappings(id, mappings)), unchecked };
}

function describe(ids: readonly string[]): string {
  return ids
    .map((id) => {
      const c = capabilityById(id);
      return c ? `${id} ("${c.name}": ${c.why})` : `${id} (the module's view capability: its grade items are left out of the grade report without it)`;
    })
    .join('; ');
}

/** A finding as the connection report shows it: what stops grades is a problem, the rest a warning. */
export function reportFinding(
  finding: CapabilityFinding,
  courseCount: number,
): { missing: string[] | null; problems: { code: string; message: string; capabilities?: string[] }[]; warnings: { code: string; message: string; capabilities: string[] }[] } {
  const problems: { code: string; message: string; capabilities?: string[] }[] = finding.unchecked.map(({ courseId, reason }) => ({
    code: 'course_not_accessible',
    message: `Moodle would not open course ${courseId} for the web-service user (${reason || 'no reason given'}): it is not enrolled there, so its role needs moodle/course:view (and moodle/course:viewhiddencourses if the course is hidden), assigned in the system context; or the course does not exist`,
  }));
  const them = (ids: readonly string[]) => (ids.length === 1 ? 'it' : 'them');
  if (finding.blocking.length > 0) {
    problems.push({
      code: 'capabilities_missing',
      message: `the web-service user's role lacks ${describe(finding.blocking)}: add ${them(finding.blocking)} to the role (docs/moodle/grade-sync-role.xml has every capability the service needs), assigned in the system context`,
      capabilities: finding.blocking,
    });
  }
  const situational = finding.missing.filter((id) => !finding.blocking.includes(id));
  const warnings =
    situational.length === 0
      ? []
      : [
          {
            code: 'capabilities_missing',
            message: `the web-service user's role lacks ${describe(situational)}: grades stop only in the courses or activities where that matters; add ${them(situational)} to the role`,
            capabilities: situational,
          },
        ];
  // When no mapped course could be asked, nothing is known to be held or missing.
  return { missing: finding.unchecked.length === courseCount ? null : finding.missing, problems, warnings };
}
