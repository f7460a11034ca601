import { ForbiddenException } from '@nestjs/common';
import { Principal } from './roles';

/** A viewer limited to some LMS courses may only see those. */
export function assertCourseAllowed(principal: Principal, lmsCourseId: number): void {
  if (principal.lmsCourseIds && !principal.lmsCourseIds.includes(lmsCourseId)) {
    throw new ForbiddenException(`This token may not see LMS course ${lmsCourseId}`);
  }
}

/** Only admins see key hints and other admin-only detail. */
export function isAdmin(principal: Principal): boolean {
  return principal.role === 'admin';
}

/** The course ids a list must be limited to, or null for all. */
export function allowedCourses(principal: Principal): number[] | null {
  return principal.lmsCourseIds;
}
