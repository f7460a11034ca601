import { ApiProperty } from '@nestjs/swagger';
import { API_ROLES, ApiRole, Principal } from '../auth/roles';

/** Who the bearer token is: what the console shows and hides follows from this, not from guessing at 403s. */
export class MeView {
  @ApiProperty({ example: 'Instructor dashboard, SPEECH101', description: "The token's name" }) name!: string;
  @ApiProperty({ enum: API_ROLES, description: 'admin: may change everything; viewer: may only read' }) role!: ApiRole;
  @ApiProperty({ type: [Number], nullable: true, example: [2], description: 'The LMS courses this token is limited to; null for every course' })
  lmsCourseIds!: number[] | null;

  static of(p: Principal): MeView {
    return { name: p.name, role: p.role, lmsCourseIds: p.lmsCourseIds };
  }
}
