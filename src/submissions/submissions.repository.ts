import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { SyncAttemptEntity } from '../sync/sync-attempt.entity';
import { OPEN_SYNC_STATES, SyncEntity, SyncState } from '../sync/sync.entity';
import { SyncRef } from '../sync/sync.repository';
import { SqlWhere } from './sql-where';
import { SubmissionEntity } from './submission.entity';

/** `courses`: null for every course, else only rows of mappings in these LMS courses. */
interface Scope {
  courses: number[] | null;
}

export interface SubmissionFilter extends Scope {
  assessmentId?: string;
  quizId?: string;
  lmsCourseId?: number;
  user?: string;
  from?: Date;
  to?: Date;
}

export interface SyncFilter extends Scope {
  states?: readonly SyncState[];
  mappingId?: string;
  assessmentId?: string;
  submissionId?: string;
  lmsCourseId?: number;
  user?: string;
  errorCode?: string;
  from?: Date;
  to?: Date;
}

/** Rows with seq below `beforeSeq` (the cursor), newest first; one more than `limit` tells whether a next page exists. */
export interface PageRequest {
  limit: number;
  beforeSeq: string | null;
}

export interface ListedSync {
  sync: SyncEntity;
  lmsCourseId: number;
  errorCode: string | null;
}

const LATEST_ERROR_CODE = `(SELECT a.error_code FROM sync_attempts a WHERE a.sync_id = s.id ORDER BY a.number DESC LIMIT 1)`;

/** Reads of submissions and syncs for the admin API, and the admin's retry of finished syncs. */
@Injectable()
export class SubmissionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  findSubmission(id: string): Promise<SubmissionEntity | null> {
    return this.db.getRepository(SubmissionEntity).findOne({ where: { id } });
  }

  /** The syncs of these submissions with their mappings, oldest first. */
  syncsOf(submissionIds: readonly string[]): Promise<SyncEntity[]> {
    if (submissionIds.length === 0) return Promise.resolve([]);
    return this.db.getRepository(SyncEntity).find({ where: { submissionId: In([...submissionIds]) }, relations: { mapping: true }, order: { seq: 'ASC' } });
  }

  findSync(id: string): Promise<SyncEntity | null> {
    return this.db.getRepository(SyncEntity).findOne({ where: { id }, relations: { mapping: true } });
  }

  attemptsOf(syncId: string): Promise<SyncAttemptEntity[]> {
    return this.db.getRepository(SyncAttemptEntity).find({ where: { syncId }, order: { number: 'ASC' } });
  }

  async listSubmissions(filter: SubmissionFilter, page: PageRequest): Promise<SubmissionEntity[]> {
    const where = new SqlWhere();
    if (filter.assessmentId) where.add((p) => `sub.assessment_id = ${p(filter.assessmentId)}`);
    if (filter.quizId) where.add((p) => `sub.speechace_quiz_id = ${p(filter.quizId)}`);
    if (filter.user) where.add((p) => `sub.user_ref = ${p(filter.user)}`);
    if (filter.from) where.add((p) => `sub.received_at >= ${p(filter.from)}`);
    if (filter.to) where.add((p) => `sub.received_at < ${p(filter.to)}`);
    if (filter.lmsCourseId !== undefined) where.add((p) => hasSyncInCourses(`ARRAY[${p(filter.lmsCourseId)}::integer]`));
    if (filter.courses) where.add((p) => hasSyncInCourses(`${p(filter.courses)}::integer[]`));
    if (page.beforeSeq) where.add((p) => `sub.seq < ${p(page.beforeSeq)}::bigint`);
    const rows = (await this.db.query(
      `SELECT sub.id FROM submissions sub WHERE ${where.sql} ORDER BY sub.seq DESC LIMIT ${where.bind(page.limit + 1)}`,
      where.params,
    )) as { id: string }[];
    if (rows.length === 0) return [];
    const found = await this.db.getRepository(SubmissionEntity).find({ where: { id: In(rows.map((r) => r.id)) } });
    return sortBySeqDesc(found);
  }

  async listSyncs(filter: SyncFilter, page: PageRequest): Promise<ListedSync[]> {
    const where = syncConditions(filter);
    if (page.beforeSeq) where.add((p) => `s.seq < ${p(page.beforeSeq)}::bigint`);
    const rows = (await this.db.query(
      `SELECT s.id, m.lms_course_id, ${LATEST_ERROR_CODE} AS error_code
         FROM syncs s JOIN mappings m ON m.id = s.mapping_id
        WHERE ${where.sql}
        ORDER BY s.seq DESC
        LIMIT ${where.bind(page.limit + 1)}`,
      where.params,
    )) as { id: string; lms_course_id: number; error_code: string | null }[];
    if (rows.length === 0) return [];
    const syncs = await this.db.getRepository(SyncEntity).find({ where: { id: In(rows.map((r) => r.id)) } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return sortBySeqDesc(syncs).map((sync) => ({ sync, lmsCourseId: byId.get(sync.id)!.lms_course_id, errorCode: byId.get(sync.id)!.error_code }));
  }

  /** How many syncs are in each state, and when the oldest open (pending or queued) one was created. */
  async summarizeSyncs(scope: Scope): Promise<{ counts: { state: SyncState; count: number }[]; oldestOpenAt: Date | null }> {
    const where = syncConditions(scope);
    const counts = (await this.db.query(
      `SELECT s.state, count(*)::integer AS count FROM syncs s JOIN mappings m ON m.id = s.mapping_id WHERE ${where.sql} GROUP BY s.state`,
      where.params,
    )) as { state: SyncState; count: number }[];
    const open = syncConditions({ ...scope, states: OPEN_SYNC_STATES });
    const [oldest] = (await this.db.query(
      `SELECT min(s.created_at) AS oldest FROM syncs s JOIN mappings m ON m.id = s.mapping_id WHERE ${open.sql}`,
      open.params,
    )) as { oldest: Date | null }[];
    return { counts, oldestOpenAt: oldest?.oldest ?? null };
  }

  /** Puts one finished sync back to pending, if it is in one of `from`; null when it is not (or does not exist). */
  async requeue(id: string, from: readonly SyncState[], reason: string): Promise<SyncRef | null> {
    const [rows] = (await this.db.query(
      `UPDATE syncs SET ${requeueSet('$3')} WHERE id = $1 AND state = ANY($2::text[]) RETURNING id, attempt_count`,
      [id, from, reason],
    )) as [{ id: string; attempt_count: number }[], number];
    const row = rows[0];
    return row ? { id: row.id, attemptCount: row.attempt_count } : null;
  }

  /** Puts every sync matching the filter back to pending, in one statement. */
  async requeueMatching(filter: SyncFilter & { states: readonly SyncState[] }, reason: string): Promise<SyncRef[]> {
    const where = syncConditions(filter);
    const reasonParam = where.bind(reason);
    const [rows] = (await this.db.query(
      `UPDATE syncs s SET ${requeueSet(reasonParam)}
         FROM mappings m
        WHERE m.id = s.mapping_id AND ${where.sql}
        RETURNING s.id, s.attempt_count`,
      where.params,
    )) as [{ id: string; attempt_count: number }[], number];
    return rows.map((r) => ({ id: r.id, attemptCount: r.attempt_count }));
  }
}

/** retry_base = attempt_count: SYNC_MAX_ATTEMPTS counts afresh from the retry. */
function requeueSet(reasonParam: string): string {
  return `state = 'pending', reason = ${reasonParam}, next_attempt_at = now(), retry_base = attempt_count, lease_until = NULL, updated_at = now()`;
}

function hasSyncInCourses(coursesSql: string): string {
  return `EXISTS (SELECT 1 FROM syncs s JOIN mappings m ON m.id = s.mapping_id WHERE s.submission_id = sub.id AND m.lms_course_id = ANY(${coursesSql}))`;
}

/** Conditions on `syncs s JOIN mappings m`. */
function syncConditions(filter: SyncFilter): SqlWhere {
  const where = new SqlWhere();
  if (filter.states) where.add((p) => `s.state = ANY(${p(filter.states)}::text[])`);
  if (filter.mappingId) where.add((p) => `s.mapping_id = ${p(filter.mappingId)}`);
  if (filter.assessmentId) where.add((p) => `m.assessment_id = ${p(filter.assessmentId)}`);
  if (filter.submissionId) where.add((p) => `s.submission_id = ${p(filter.submissionId)}`);
  if (filter.lmsCourseId !== undefined) where.add((p) => `m.lms_course_id = ${p(filter.lmsCourseId)}`);
  if (filter.courses) where.add((p) => `m.lms_course_id = ANY(${p(filter.courses)}::integer[])`);
  if (filter.user) where.add((p) => `s.user_ref = ${p(filter.user)}`);
  if (filter.errorCode) where.add((p) => `${LATEST_ERROR_CODE} = ${p(filter.errorCode)}`);
  if (filter.from) where.add((p) => `s.created_at >= ${p(filter.from)}`);
  if (filter.to) where.add((p) => `s.created_at < ${p(filter.to)}`);
  return where;
}

function sortBySeqDesc<T extends { seq: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (BigInt(b.seq) > BigInt(a.seq) ? 1 : BigInt(b.seq) < BigInt(a.seq) ? -1 : 0));
}
