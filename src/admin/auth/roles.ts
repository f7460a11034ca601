import { SetMetadata } from '@nestjs/common';

export const API_ROLES = ['admin', 'viewer'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export const REQUIRED_ROLE = 'requiredRole';
/** The least role a route needs: `viewer` routes read, `admin` routes change things. */
export const RequireRole = (role: ApiRole) => SetMetadata(REQUIRED_ROLE, role);

/** Who is calling, as the bearer token says. */
export interface Principal {
  tokenId: string | null;
  name: string;
  role: ApiRole;
  /** Viewer tokens may be limited to some LMS courses; null means all. */
  lmsCourseIds: number[] | null;
}
