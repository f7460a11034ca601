import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MappingTarget, ScoreField } from '../mappings/mapping.entity';
import { SubmissionScores } from '../submissions/submission.entity';
import { SyncState } from '../sync/sync.entity';
import { CourseGradeRow } from './course-grades.dto';

interface GradeRowRecord {
  mapping_id: string;
  target: MappingTarget;
  score_field: ScoreField;
  user_ref: string;
  lms_user_id: number | null;
  submission_id: string;
  scores: SubmissionScores;
  received_at: Date;
  sync_id: string;
  state: SyncState;
  reason: string | null;
  synced_grade: number | null;
  synced_at: Date | null;
}

/** The course grade view: one row per (mapping, student) of an LMS course. */
@Injectable()
export class GradesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async forCourse(lmsCourseId: number): Promise<CourseGradeRow[]> {
    const rows = (await this.db.query(
      `WITH latest AS (
         SELECT DISTINCT ON (s.mapping_id, s.student_key)
                s.mapping_id, s.student_key, s.user_ref, s.id AS sync_id, s.state, s.reason, s.lms_user_id,
                sub.id AS submission_id, sub.scores, sub.received_at
           FROM syncs s
           JOIN mappings m ON m.id = s.mapping_id
           JOIN submissions sub ON sub.id = s.submission_id
          WHERE m.lms_course_id = $1
          ORDER BY s.mapping_id, s.student_key, sub.received_at DESC, sub.seq DESC
       ), held AS (
         SELECT DISTINCT ON (s.mapping_id, s.student_key)
                s.mapping_id, s.student_key, s.grade, s.synced_at, s.lms_user_id
           FROM syncs s
           JOIN mappings m ON m.id = s.mapping_id
          WHERE m.lms_course_id = $1 AND s.state = 'synced'
          ORDER BY s.mapping_id, s.student_key, s.synced_at DESC NULLS LAST, s.seq DESC
       )
       SELECT l.mapping_id, m.target, m.score_field, l.user_ref, COALESCE(l.lms_user_id, h.lms_user_id) AS lms_user_id,
              l.submission_id, l.scores, l.received_at, l.sync_id, l.state, l.reason,
              h.grade AS synced_grade, h.synced_at
         FROM latest l
         JOIN mappings m ON m.id = l.mapping_id
         LEFT JOIN held h ON h.mapping_id = l.mapping_id AND h.student_key = l.student_key
        ORDER BY m.created_at, m.id, l.user_ref`,
      [lmsCourseId],
    )) as GradeRowRecord[];
    return rows.map((r) => ({
      mappingId: r.mapping_id,
      target: r.target,
      scoreField: r.score_field,
      userRef: r.user_ref,
      lmsUserId: r.lms_user_id,
      submissionId: r.submission_id,
      scores: r.scores,
      receivedAt: r.received_at,
      syncId: r.sync_id,
      syncState: r.state,
      syncReason: r.reason,
      syncedGrade: r.synced_grade,
      syncedAt: r.synced_at,
    }));
  }
}
