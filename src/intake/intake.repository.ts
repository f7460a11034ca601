import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { GroupCommit } from '../common/group-commit';
import { withOneRetryOnLostConnection } from '../database/connection-lost';
import { AppConfig } from '../config/app-config';
import { SubmissionEntity } from '../submissions/submission.entity';
import { MATCHES, studentKeySql } from '../sync/sync-matching';

export type NewSubmission = Omit<SubmissionEntity, 'id' | 'seq' | 'receivedAt' | 'assessment' | 'dedupeHash'> & {
  /** The attempt's identity when the callback has a reportUrl; null: the statement decides (see STORE). */
  dedupeHash: string | null;
  /** When an earlier try of this very callback was answered 503 (README "Attempt policies"); else null. */
  firstSeenAt: Date | null;
};

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
  ['bodyHash', 'body_hash', 'text'],
  ['rawBody', 'raw_body', 'text'],
  ['contentType', 'content_type', 'text'],
  ['rawQuery', 'raw_query', 'text'],
  ['sourceIp', 'source_ip', 'text'],
  ['signedMappingId', 'signed_mapping_id', 'uuid'],
];
const NAMES = COLUMNS.map(([, column]) => column).join(', ');
const FIRST_SEEN = `$${COLUMNS.length + 1}::timestamptz[]`;
const REPEAT_WINDOW = `$${COLUMNS.length + 2}::double precision`;

/**
 * Stores callbacks and one pending sync per matching mapping in ONE statement (one round trip, and
 * atomic without an explicit transaction), for one callback or for several that arrived together.
 * A repeat of a stored attempt hits the unique dedupe_hash and inserts nothing, also when the
 * repeats arrive at the same moment or in the same statement (the first one is stored).
 *
 * A callback without reportUrl gets its identity here: the same bytes as the student's latest
 * stored callback (`last`), received within the repeat window, make it a repeat of that one (its
 * key); anything else is a new attempt, keyed by its bytes and the callback it follows, so that
 * 7, 4.5, 7 are three attempts while two concurrent copies of one callback still share one key.
 * Intake sends one such callback of a student at a time (see `studentOf`), so `last` is current.
 */
const STORE = `
  WITH input AS (
    SELECT * FROM unnest(${COLUMNS.map(([, , type], i) => `$${i + 1}::${type}[]`).join(', ')}, ${FIRST_SEEN})
      WITH ORDINALITY AS t(${NAMES}, first_seen_at, ord)
  ), keyed AS (
    SELECT i.*, coalesce(i.dedupe_hash, CASE
             WHEN last.body_hash = i.body_hash AND last.received_at > clock_timestamp() - make_interval(secs => ${REPEAT_WINDOW} / 1000)
             THEN last.dedupe_hash
             ELSE 'body:' || i.body_hash || ':after:' || coalesce(last.id::text, 'none') END) AS attempt_key
      FROM input i LEFT JOIN LATERAL (
        SELECT prev.id, prev.body_hash, prev.dedupe_hash, prev.received_at FROM submissions prev
         WHERE i.dedupe_hash IS NULL AND prev.assessment_id = i.assessment_id AND prev.user_ref = i.user_ref
           AND prev.speechace_quiz_id = i.speechace_quiz_id
           AND prev.query_course_id IS NOT DISTINCT FROM i.query_course_id AND prev.query_test_id IS NOT DISTINCT FROM i.query_test_id
         ORDER BY prev.seq DESC LIMIT 1) last ON true
  ), sub AS (
    INSERT INTO submissions (${NAMES}, received_at)
    SELECT ${NAMES.replace('dedupe_hash', 'attempt_key')}, coalesce(first_seen_at, clock_timestamp()) FROM keyed ORDER BY ord
    ON CONFLICT (dedupe_hash) DO NOTHING
    RETURNING *
  ), created AS (
    INSERT INTO syncs (submission_id, mapping_id, user_ref, student_key, state, source_score)
    SELECT sub.id, m.id, sub.user_ref, ${studentKeySql('sub.user_ref', 'm.user_match')}, 'pending', (sub.scores ->> m.score_field)::double precision
      FROM sub JOIN mappings m ON ${MATCHES}
     ORDER BY sub.seq, m.created_at
    RETURNING id, submission_id, mapping_id, state, attempt_count, seq
  )
  SELECT keyed.ord, keyed.attempt_key AS dedupe_hash, sub.id AS submission_id, created.id, created.mapping_id, created.state, created.attempt_count
    FROM keyed LEFT JOIN sub ON sub.dedupe_hash = keyed.attempt_key LEFT JOIN created ON created.submission_id = sub.id
   ORDER BY keyed.ord, created.seq`;

interface StoredRow {
  ord?: string;
  dedupe_hash: string;
  submission_id: string | null;
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
  private readonly groups = new GroupCommit<NewSubmission, StoredSubmission | string>((submissions) => this.insert(submissions), {
    maxInFlight: 4,
    maxPerWrite: 64,
    isItemError: isRowError,
    serialKey: studentOf,
  });

  constructor(
    @InjectDataSource() db: DataSource,
    private readonly config: AppConfig,
  ) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  async store(submission: NewSubmission): Promise<StoredSubmission> {
    const stored = await this.groups.submit(submission);
    return typeof stored === 'string' ? this.existing(stored) : stored;
  }

  /**
   * What each submission became, in order: the identity (dedupe key) of the stored attempt it
   * repeats, for a repeat (and for the later ones of a repeat within the group).
   */
  private async insert(submissions: NewSubmission[]): Promise<(StoredSubmission | string)[]> {
    const values: unknown[] = COLUMNS.map(([key]) => submissions.map((s) => (key === 'scores' ? JSON.stringify(s.scores) : s[key])));
    values.push(submissions.map((s) => s.firstSeenAt?.toISOString() ?? null), this.config.CALLBACK_REPEAT_WINDOW_MS);
    // Safe to repeat: a statement that did commit before its connection was lost finds its rows as repeats.
    const { rows } = await withOneRetryOnLostConnection(() => this.pool.query<StoredRow>({ name: 'intake-store', text: STORE, values }));
    const keys: string[] = [];
    const byHash = new Map<string, StoredSubmission>();
    for (const row of rows) {
      keys[Number(row.ord) - 1] = row.dedupe_hash;
      if (row.submission_id === null) continue;
      let stored = byHash.get(row.dedupe_hash);
      if (!stored) byHash.set(row.dedupe_hash, (stored = { submissionId: row.submission_id, duplicate: false, syncs: [] }));
      if (row.id !== null && !stored.syncs.some((s) => s.id === row.id)) stored.syncs.push(toSync(row));
    }
    return submissions.map((_, i) => {
      const key = keys[i]!;
      const stored = byHash.get(key);
      byHash.delete(key); // a second callback with the same key in this group is a repeat
      return stored ?? key;
    });
  }

  private async existing(dedupeHash: string): Promise<StoredSubmission> {
    const { rows } = await this.pool.query<StoredRow>(
      `SELECT sub.dedupe_hash, sub.id AS submission_id, s.id, s.mapping_id, s.state, s.attempt_count
         FROM submissions sub LEFT JOIN syncs s ON s.submission_id = sub.id
        WHERE sub.dedupe_hash = $1 ORDER BY s.seq`,
      [dedupeHash],
    );
    return { submissionId: rows[0]!.submission_id!, duplicate: true, syncs: rows.filter((r) => r.id !== null).map(toSync) };
  }
}

/** Callbacks without reportUrl of one student at one test are stored one statement after another (see STORE). */
function studentOf(s: NewSubmission): string | null {
  return s.dedupeHash === null ? JSON.stringify([s.assessmentId, s.speechaceQuizId, s.userRef, s.queryCourseId, s.queryTestId]) : null;
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): errors of one row's values. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

function toSync(r: StoredRow) {
  return { id: r.id!, mappingId: r.mapping_id, state: r.state, attemptCount: r.attempt_count };
}
