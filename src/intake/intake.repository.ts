import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { GroupCommit } from '../common/group-commit';
import { SubmissionEntity } from '../submissions/submission.entity';
import { MATCHES } from '../sync/sync-matching';

export type NewSubmission = Omit<SubmissionEntity, 'id' | 'seq' | 'receivedAt' | 'assessment'>;

export interface StoredSubmission {
  submissionId: string;
  duplicate: boolean;
  syncs: { id: string; mappingId: string; state: string; attemptCount: number }[];
}

/** Each stored field: its column and PostgreSQL type (the statement takes one array per column). */
const COLUMNS: [keyof NewSubmission, string, string][] = [
  ['dedupeHash', 'dedupe_hash', 'text'],
  ['assessmentId', 'assessment_id', 'uuid'],
  ['speechaceCourseId', 'speechace_course_id', 'text'],
  ['speechaceQuizId', 'speechace_quiz_id', 'text'],
  ['speechaceUserId', 'speechace_user_id', 'text'],
  ['userRef', 'user_ref', 'text'],
  ['queryCourseId', 'query_course_id', 'text'],
  ['queryTestId', 'query_test_id', 'text'],
  ['scores', 'scores', 'jsonb'],
  ['reportUrl', 'report_url', 'text'],
  ['version', 'version', 'text'],
  ['rawBody', 'raw_body', 'text'],
  ['contentType', 'content_type', 'text'],
  ['rawQuery', 'raw_query', 'text'],
  ['sourceIp', 'source_ip', 'text'],
  ['signedMappingId', 'signed_mapping_id', 'uuid'],
];
const NAMES = COLUMNS.map(([, column]) => column).join(', ');

/**
 * Stores callbacks and one pending sync per matching mapping in ONE statement (one round trip, and
 * atomic without an explicit transaction), for one callback or for several that arrived together.
 * A repeat of a stored attempt hits the unique dedupe_hash and inserts nothing, also when the
 * repeats arrive at the same moment or in the same statement (the first one is stored).
 */
const STORE = `
  WITH input AS (
    SELECT * FROM unnest(${COLUMNS.map(([, , type], i) => `$${i + 1}::${type}[]`).join(', ')}) WITH ORDINALITY AS t(${NAMES}, ord)
  ), sub AS (
    INSERT INTO submissions (${NAMES}, received_at)
    SELECT ${NAMES}, clock_timestamp() FROM input ORDER BY ord
    ON CONFLICT (dedupe_hash) DO NOTHING
    RETURNING *
  ), created AS (
    INSERT INTO syncs (submission_id, mapping_id, user_ref, state, source_score)
    SELECT sub.id, m.id, sub.user_ref, 'pending', (sub.scores ->> m.score_field)::double precision
      FROM sub JOIN mappings m ON ${MATCHES}
     ORDER BY sub.seq, m.created_at
    RETURNING id, submission_id, mapping_id, state, attempt_count, seq
  )
  SELECT sub.dedupe_hash, sub.id AS submission_id, created.id, created.mapping_id, created.state, created.attempt_count
    FROM sub LEFT JOIN created ON created.submission_id = sub.id
   ORDER BY sub.seq, created.seq`;

interface StoredRow {
  dedupe_hash: string;
  submission_id: string;
  id: string | null;
  mapping_id: string;
  state: string;
  attempt_count: number;
}

/**
 * Intake's storage. Callbacks that arrive while others are being stored share the next statement
 * (GroupCommit: one round trip and one WAL flush for all of them; a bad row, SQLSTATE class 22 or
 * 23, never fails the others). Each caller is answered after the commit that holds its callback.
 * The statement goes straight to TypeORM's `pg` pool (same connections, same limits) as a named
 * prepared statement: this is the hot path of an exam's burst.
 */
@Injectable()
export class IntakeRepository {
  private readonly pool: Pool;
  private readonly groups = new GroupCommit<NewSubmission, StoredSubmission | null>((submissions) => this.insert(submissions), {
    maxInFlight: 4,
    maxPerWrite: 64,
    isItemError: isRowError,
  });

  constructor(@InjectDataSource() db: DataSource) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  async store(submission: NewSubmission): Promise<StoredSubmission> {
    return (await this.groups.submit(submission)) ?? this.existing(submission.dedupeHash);
  }

  /** What each submission became, in order: null for a repeat of a stored attempt (and for the later ones of a repeat within the group). */
  private async insert(submissions: NewSubmission[]): Promise<(StoredSubmission | null)[]> {
    const values = COLUMNS.map(([key]) => submissions.map((s) => (key === 'scores' ? JSON.stringify(s.scores) : s[key])));
    const { rows } = await this.pool.query<StoredRow>({ name: 'intake-store', text: STORE, values });
    const byHash = new Map<string, StoredSubmission>();
    for (const row of rows) {
      let stored = byHash.get(row.dedupe_hash);
      if (!stored) byHash.set(row.dedupe_hash, (stored = { submissionId: row.submission_id, duplicate: false, syncs: [] }));
      if (row.id !== null) stored.syncs.push(toSync(row));
    }
    return submissions.map((s) => {
      const stored = byHash.get(s.dedupeHash);
      byHash.delete(s.dedupeHash); // a second callback with the same hash in this group is a repeat
      return stored ?? null;
    });
  }

  private async existing(dedupeHash: string): Promise<StoredSubmission> {
    const { rows } = await this.pool.query<StoredRow>(
      `SELECT sub.dedupe_hash, sub.id AS submission_id, s.id, s.mapping_id, s.state, s.attempt_count
         FROM submissions sub LEFT JOIN syncs s ON s.submission_id = sub.id
        WHERE sub.dedupe_hash = $1 ORDER BY s.seq`,
      [dedupeHash],
    );
    return { submissionId: rows[0]!.submission_id, duplicate: true, syncs: rows.filter((r) => r.id !== null).map(toSync) };
  }
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): errors of one row's values. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

function toSync(r: StoredRow) {
  return { id: r.id!, mappingId: r.mapping_id, state: r.state, attemptCount: r.attempt_count };
}
