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

interface Waiting {
  submission: NewSubmission;
  resolve: (stored: StoredSubmission) => void;
  reject: (error: unknown) => void;
}

/** Statements of intake in flight at once; callbacks arriving meanwhile wait and go together in the next. */
const MAX_STATEMENTS = 4;
const MAX_PER_STATEMENT = 64;

/**
 * Intake's storage. Callbacks that arrive while earlier ones are being stored are stored together
 * in one statement (group commit: one round trip and one WAL flush for all of them); a lone
 * callback goes at once. Each caller's promise settles after the commit that holds its callback.
 * Should a statement of several fail on a bad row, each of its callbacks is stored on its own, so
 * one bad row never fails the others. The statement goes straight to TypeORM's `pg` pool (same connections,
 * same limits) as a named prepared statement: this is the hot path of an exam's burst.
 */
@Injectable()
export class IntakeRepository {
  private readonly pool: Pool;
  private readonly waiting: Waiting[] = [];
  private statements = 0;

  constructor(@InjectDataSource() db: DataSource) {
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  store(submission: NewSubmission): Promise<StoredSubmission> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ submission, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.statements < MAX_STATEMENTS && this.waiting.length > 0) {
      const group = this.waiting.splice(0, MAX_PER_STATEMENT);
      this.statements += 1;
      void this.storeGroup(group).finally(() => {
        this.statements -= 1;
        this.next();
      });
    }
  }

  private async storeGroup(group: Waiting[]): Promise<void> {
    try {
      const stored = await this.insert(group.map((w) => w.submission));
      for (const [i, w] of group.entries()) this.settle(w, stored[i] ?? null);
    } catch (error) {
      // Only a bad row (data or constraint error) is worth storing the others without it; when the
      // database itself fails, every caller hears so at once (a 503 they retry), never after a queue of retries.
      if (group.length === 1 || !isRowError(error)) {
        for (const w of group) w.reject(error);
        return;
      }
      for (const w of group) {
        await this.insert([w.submission]).then(
          ([stored]) => this.settle(w, stored ?? null),
          (e: unknown) => w.reject(e),
        );
      }
    }
  }

  private settle(w: Waiting, stored: StoredSubmission | null): void {
    if (stored) return w.resolve(stored);
    this.existing(w.submission.dedupeHash).then(w.resolve, w.reject);
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
