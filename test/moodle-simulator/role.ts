import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let cached: readonly string[] | undefined;

/**
 * The capabilities the simulated token user holds by default: exactly the `<allow>` lines of the
 * role file we ship (docs/moodle/grade-sync-role.xml), as if an admin had imported it and assigned
 * it to the web-service user in the system context.
 */
export function shippedRoleCapabilities(): readonly string[] {
  cached ??= [...readFileSync(join(__dirname, '../../docs/moodle/grade-sync-role.xml'), 'utf8').matchAll(/<allow>([^<]+)<\/allow>/g)].map((m) => m[1]!.trim());
  return cached;
}
