import { Injectable } from '@nestjs/common';
import { assertCourseAllowed } from '../admin/auth/course-scope';
import { Principal } from '../admin/auth/roles';
import { CourseGradesView } from './course-grades.dto';
import { GradesRepository } from './grades.repository';

/** The per-course view instructors read: latest attempt per student and mapping, and what Moodle holds from us. */
@Injectable()
export class GradesService {
  constructor(private readonly repo: GradesRepository) {}

  async forCourse(principal: Principal, lmsCourseId: number): Promise<CourseGradesView> {
    assertCourseAllowed(principal, lmsCourseId);
    return { lmsCourseId, rows: await this.repo.forCourse(lmsCourseId) };
  }
}
