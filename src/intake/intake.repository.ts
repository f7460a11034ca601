import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { SubmissionEntity } from '../submissions/submission.entity';
import { MATCHES } from '../sync/sync-matching';

export type NewSubmission = Omit<SubmissionEntity, 'id' | 'seq' | 'receivedAt' | 'assessment'>;

export interface StoredSubmission {
  submissionId: string;
  duplicate: boolean;
  syncs: { id: string; mappingId: string; state: string; attemptCount: number }[];
}

const COLUMNS: [keyof NewSubmission, string][] = [
  ['dedupeHash', 'dedupe_hash'],
  ['assessmentId', 'assessment_id'],
  ['speechaceCourseId', 'speechace_course_id'],
  ['speechaceQuizId', 'speechace_quiz_id'],
  ['speechaceUserId', 'speechace_user_id'],
  ['userRef', 'user_ref'],
  ['queryCourseId', 'query_course_id'],
  ['queryTestId', 'query_test_id'],
  ['scores', 'scores'],
  ['reportUrl', 'report_url'],
  ['version', 'version'],
  ['rawBody', 'raw_body'],
  ['contentType', 'content_type'],
  ['rawQuery', 'raw_query'],
  ['sourceIp', 'source_ip'],
  ['signedMappingId', 'signed_mapping_id'],
];

/**
 * Stores a callback and one pending sync per matching mapping in ONE statement (so one round
 * trip, and atomic without an explicit transaction). A repeat of a stored attempt hits the unique
 * dedupe_hash and inserts nothing, also when the repeats arrive at the same moment.
 */
const STORE = `
  WITH sub AS (
    INSERT INTO submissions (${COLUMNS.map(([, c]) => c).join(', ')})
    VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
    ON CONFLICT (dedupe_hash) DO NOTHING
    RETURNING *
  ), created AS (
    INSERT INTO syncs (submission_id, mapping_id, user_ref, state, source_score)
    SELECT sub.id, m.id, sub.user_ref, 'pending', (sub.scores ->> m.score_field)::double precision
      FROM sub JOIN mappings m ON ${MATCHES}
     ORDER BY m.created_at
    RETURNING id, mapping_id, state, attempt_count, seq
  )
  SELECT sub.id AS submission_id, created.id, created.mapping_id, created.state, created.attempt_count
    FROM sub LEFT JOIN created ON true
   ORDER BY created.seq`;

interface StoredRow {
  submission_id: string;
  id: string | null;
  mapping_id: string;
  state: string;
  attempt_count: number;
}

/**
 * Intake's statements go straight to TypeORM's `pg` pool (same connections, same limits) as a
 * named prepared statement: the request path is the hot path of an exam's burst, and TypeORM's
 * query runner and a fresh parse and plan of the CTE per callback cost more than the insert.
 */
@Injectable()
export class IntakeRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() db: DataSource) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  async store(submission: NewSubmission): Promise<StoredSubmission> {
    const values = COLUMNS.map(([key]) => (key === 'scores' ? JSON.stringify(submission.scores) : submission[key]));
    const { rows } = await this.pool.query<StoredRow>({ name: 'intake-store', text: STORE, values });
    if (rows.length === 0) return this.existing(submission.dedupeHash);
    return { submissionId: rows[0]!.submission_id, duplicate: false, syncs: rows.filter((r) => r.id !== null).map(toSync) };
  }

  private async existing(dedupeHash: string): Promise<StoredSubmission> {
    const { rows } = await this.pool.query<StoredRow>(
      `SELECT sub.id AS submission_id, s.id, s.mapping_id, s.state, s.attempt_count
         FROM submissions sub LEFT JOIN syncs s ON s.submission_id = sub.id
        WHERE sub.dedupe_hash = $1 ORDER BY s.seq`,
      [dedupeHash],
    );
    return { submissionId: rows[0]!.submission_id, duplicate: true, syncs: rows.filter((r) => r.id !== null).map(toSync) };
  }
}

function toSync(r: StoredRow) {
  return { id: r.id!, mappingId: r.mapping_id, state: r.state, attemptCount: r.attempt_count };
}
