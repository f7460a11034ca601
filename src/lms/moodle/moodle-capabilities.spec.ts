import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUIRED_FUNCTIONS } from './moodle.client';
import { LmsError } from './moodle-errors';
import { capabilitiesOf, capabilityRefusal, displayNameIn, GRADE_SYNC_CAPABILITIES } from './moodle-capabilities';

const ROLE_XML = readFileSync(join(__dirname, '../../../docs/moodle/grade-sync-role.xml'), 'utf8');

/** The children of one element, as [name, text] pairs (the role file is flat: no attributes, no nesting below these). */
function children(xml: string, parent: string): [string, string][] {
  const inner = new RegExp(`<${parent}>([\\s\\S]*?)</${parent}>|<${parent}/>`).exec(xml);
  if (!inner) throw new Error(`no <${parent}> in the role file`);
  return [...(inner[1] ?? '').matchAll(/<([a-z]+)>([^<]*)<\/\1>|<([a-z]+)\/>/g)].map((m) => [m[1] ?? m[3]!, m[2] ?? '']);
}

describe('docs/moodle/grade-sync-role.xml (Define roles → Add a new role → Use role preset)', () => {
  it("has the top-level elements of Moodle's role export, in the order admin/roles/role_schema.xml requires", () => {
    expect(ROLE_XML.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<role>')).toBe(true);
    const order = ['<shortname>', '<name>', '<description>', '<archetype', '<contextlevels>', '<allowassign', '<allowoverride', '<allowswitch', '<allowview', '<permissions>'];
    const at = order.map((tag) => ROLE_XML.indexOf(tag));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('is a role without archetype, assignable in the system and course contexts, allowing nothing over other roles', () => {
    const top = Object.fromEntries(children(ROLE_XML, 'role'));
    expect(top.shortname).toMatch(/^[a-z0-9_-]+$/);
    expect(top.archetype).toBe('');
    expect(children(ROLE_XML, 'contextlevels')).toEqual([
      ['level', 'system'],
      ['level', 'course'],
    ]);
    for (const allow of ['allowassign', 'allowoverride', 'allowswitch', 'allowview']) expect(ROLE_XML).toContain(`<${allow}/>`);
  });

  it('allows exactly the capabilities of moodle-capabilities.ts, and nothing is prevented or prohibited', () => {
    const permissions = children(ROLE_XML, 'permissions');
    expect(permissions.every(([kind]) => kind === 'allow')).toBe(true);
    const allowed = permissions.map(([, id]) => id);
    expect(new Set(allowed).size).toBe(allowed.length);
    expect([...allowed].sort()).toEqual(GRADE_SYNC_CAPABILITIES.map((c) => c.id).sort());
  });
});

describe('moodle-capabilities', () => {
  it('gives every function the service calls the capabilities its Moodle checks need', () => {
    for (const fn of REQUIRED_FUNCTIONS) expect(capabilitiesOf(fn).map((c) => c.id)).toContain('webservice/rest:use');
    expect(capabilitiesOf('core_enrol_get_enrolled_users').map((c) => c.id)).toContain('moodle/course:enrolreview');
    expect(capabilitiesOf('mod_assign_save_grades').map((c) => c.id)).toEqual(expect.arrayContaining(['mod/assign:grade', 'mod/assign:view', 'moodle/course:view']));
    expect(capabilitiesOf('core_grades_update_grades').map((c) => c.id)).toContain('moodle/grade:edit');
    for (const c of GRADE_SYNC_CAPABILITIES) expect(c.functions.every((f) => (REQUIRED_FUNCTIONS as readonly string[]).includes(f))).toBe(true);
  });

  it('reads the display name out of a nopermissions message and maps it to the capability id', () => {
    const message = 'Sorry, but you do not currently have permissions to do that (Review course enrolments).';
    expect(displayNameIn(message)).toBe('Review course enrolments');
    const refusal = capabilityRefusal('core_enrol_get_enrolled_users', 'nopermissions', message);
    expect(refusal?.capabilities).toEqual(['moodle/course:enrolreview']);
    expect(refusal?.hint).toContain('moodle/course:enrolreview');
    expect(capabilityRefusal('mod_assign_save_grades', 'nopermissions', 'Sorry, but you do not currently have permissions to do that (Grade assignment).')?.capabilities).toEqual(['mod/assign:grade']);
  });

  it('names enrolreview for the participants check it also satisfies, and never guesses an unknown name', () => {
    const participants = 'Sorry, but you do not currently have permissions to do that (View participants).';
    expect(capabilityRefusal('core_enrol_get_enrolled_users', 'nopermissions', participants)?.capabilities).toEqual(['moodle/course:enrolreview']);
    const unknown = capabilityRefusal('mod_assign_save_grades', 'nopermissions', 'Sorry, but you do not currently have permissions to do that (Something new).');
    expect(unknown).toMatchObject({ capabilities: [], displayName: 'Something new' });
    expect(unknown?.hint).toContain('"Something new"');
  });

  it('reads nopermissiontoviewgrades per function: grade:edit for writes, grade:viewall for the report', () => {
    expect(capabilityRefusal('core_grades_update_grades', 'nopermissiontoviewgrades', 'Cannot view grades.')?.capabilities).toEqual(['moodle/grade:edit']);
    expect(capabilityRefusal('gradereport_user_get_grade_items', 'nopermissiontoviewgrades', 'Cannot view grades.')?.capabilities).toEqual(['moodle/grade:viewall']);
    expect(capabilityRefusal('mod_assign_get_assignments', 'nopermissiontoviewgrades', 'Cannot view grades.')).toBeNull();
    expect(capabilityRefusal('gradereport_user_get_grade_items', 'notingroup', 'error/notingroup')?.capabilities).toEqual(['moodle/site:accessallgroups']);
    expect(capabilityRefusal('core_grades_update_grades', 'invalidtoken', 'Invalid token - token not found')).toBeNull();
  });
});

describe('LmsError.fromMoodleError with the function that was refused', () => {
  it('names the capability id in the message and carries it, instead of a guess', () => {
    const error = LmsError.fromMoodleError('nopermissions', 'Sorry, but you do not currently have permissions to do that (Review course enrolments).', 'core_enrol_get_enrolled_users');
    expect(error.message).toContain('"Review course enrolments" is moodle/course:enrolreview');
    expect(error.message).not.toContain('moodle/grade:edit or mod/assign:grade');
    expect(error.capabilities).toEqual(['moodle/course:enrolreview']);
    expect(LmsError.fromMoodleError('nopermissiontoviewgrades', 'Cannot view grades.', 'core_grades_update_grades').capabilities).toEqual(['moodle/grade:edit']);
  });

  it('lists what a failed login check of a course can mean, without claiming one', () => {
    const error = LmsError.fromMoodleError('requireloginerror', 'Course or activity not accessible.', 'mod_assign_save_grades');
    expect(error.message).toMatch(/moodle\/course:view.*mod\/assign:view/);
    expect(error.capabilities).toEqual([]);
  });
});
