import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { RivalAttempt } from './attempt-policy';
import { ATTEMPT_POLICY } from './sync-outcome';
import { RecordedLmsCall } from './sync-attempt.entity';
import { SyncOutcome } from './sync-outcome';
import { SyncEntity, SyncState } from './sync.entity';

/** What one claim took: its token, the syncs (none when not due, held, or paused) and how many it paused. */
export interface Claim {
  token: string;
  syncs: SyncEntity[];
  paused: number;
}

export interface SyncRef {
  id: string;
  attemptCount: number;
}

export interface Finish {
  sync: SyncEntity;
  attempt: AttemptRecord;
  outcome: SyncOutcome | { state: 'queued'; retryAt: Date; reason: string };
}

export interface AttemptRecord {
  outcome: SyncOutcome['state'] | 'retry';
  reason: string | null;
  errorCode: string | null;
  calls: RecordedLmsCall[];
  startedAt: Date;
}

/** The only code that reads and changes sync rows. */
@Injectable()
export class SyncRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Takes `syncId` and up to `limit - 1` other due syncs of the same mapping (one grade item) for
   * one batched attempt: at most one per LMS user, and none for a user whose other attempt is
   * being pushed right now, so attempt policies never race. Claims of one mapping are serialised
   * by a transaction-level advisory lock. Each claim gets a fresh token that every later write of
   * the batch must present (see `renewLease`, `finishMany`). When the mapping or its connection is
   * disabled, nothing is claimed and the mapping's open syncs are paused instead.
   */
  async claimBatch(syncId: string, limit: number, leaseMs: number): Promise<Claim> {
    const token = randomUUID();
    const outcome = await this.db.transaction(async (tx): Promise<{ ids: string[]; paused: number }> => {
      const [target] = (await tx.query(
        `SELECT s.mapping_id, m.enabled AS mapping_enabled, c.enabled AS connection_enabled
           FROM syncs s JOIN mappings m ON m.id = s.mapping_id JOIN connections c ON c.id = m.connection_id
          WHERE s.id = $1`,
        [syncId],
      )) as { mapping_id: string; mapping_enabled: boolean; connection_enabled: boolean }[];
      if (!target) return { ids: [], paused: 0 };
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`claim:${target.mapping_id}`]);
      if (!target.mapping_enabled || !target.connection_enabled) {
        const paused = await this.pauseOpen(tx, 'm.id = $1', [target.mapping_id]);
        return { ids: [], paused };
      }
      const [rows] = (await tx.query(
        `UPDATE syncs SET lease_until = now() + make_interval(secs => $4::double precision / 1000), claim_token = $5,
                attempt_count = attempt_count + 1, updated_at = now()
          WHERE id IN (
            SELECT id FROM (
              SELECT DISTINCT ON (s.student_key) s.id, s.seq, s.id = $2 AS mine
                FROM syncs s
               WHERE s.mapping_id = $1 AND s.state IN ('pending', 'queued')
                 AND (s.lease_until IS NULL OR s.lease_until < now())
                 AND s.next_attempt_at <= now() + interval '2 seconds'
                 AND NOT EXISTS (SELECT 1 FROM syncs busy
                                  WHERE busy.mapping_id = s.mapping_id AND busy.student_key = s.student_key
                                    AND busy.state IN ('pending', 'queued') AND busy.lease_until >= now())
               ORDER BY s.student_key, (s.id = $2) DESC, s.seq
            ) candidates
            ORDER BY mine DESC, seq
            LIMIT $3)
          RETURNING id`,
        [target.mapping_id, syncId, limit, leaseMs, token],
      )) as [{ id: string }[], number];
      return { ids: rows.map((r) => r.id), paused: 0 };
    });
    if (outcome.ids.length === 0) return { token, syncs: [], paused: outcome.paused };
    const claimed = await this.db.getRepository(SyncEntity).find({
      where: { id: In(outcome.ids) },
      relations: { submission: true, mapping: { connection: true } },
      order: { seq: 'ASC' },
    });
    return { token, syncs: claimed, paused: 0 };
  }

  /**
   * Extends the lease of the syncs this claim still holds; returns their ids. A sync missing from
   * the answer was taken over (its lease ran out and another worker claimed it) or paused.
   */
  async renewLease(ids: readonly string[], token: string, leaseMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const [rows] = (await this.db.query(
      `UPDATE syncs SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = ANY($1::uuid[]) AND claim_token = $2 AND state IN ('pending', 'queued')
        RETURNING id`,
      [ids, token, leaseMs],
    )) as [{ id: string }[], number];
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Pauses the open syncs no worker holds right now, of the mappings `where` selects (alias m,
   * joined with its connection c). A held sync is paused by the next claim after its attempt.
   */
  async pauseWhere(where: string, params: unknown[]): Promise<number> {
    return this.pauseOpen(this.db.manager, where, params);
  }

  private async pauseOpen(tx: EntityManager, where: string, params: unknown[]): Promise<number> {
    const [, count] = (await tx.query(
      `UPDATE syncs s SET state = 'paused', lease_until = NULL, claim_token = NULL, updated_at = now(),
              reason = CASE WHEN NOT m.enabled THEN 'paused: the mapping is disabled; enable it to resume'
                            ELSE 'paused: the connection is disabled; enable it to resume' END
         FROM mappings m JOIN connections c ON c.id = m.connection_id
        WHERE s.mapping_id = m.id AND (NOT m.enabled OR NOT c.enabled) AND ${where}
          AND s.state IN ('pending', 'queued') AND (s.lease_until IS NULL OR s.lease_until < now())`,
      params,
    )) as [unknown, number];
    return count;
  }

  /**
   * Puts paused syncs of the mappings `where` selects (alias m, connection c) back to pending when
   * both the mapping and its connection are enabled; returns one sync per mapping to wake it.
   */
  async resumeWhere(where: string, params: unknown[]): Promise<SyncRef[]> {
    const [rows] = (await this.db.query(
      `UPDATE syncs s SET state = 'pending', reason = 'resumed: enabled again', next_attempt_at = now(), updated_at = now()
         FROM mappings m JOIN connections c ON c.id = m.connection_id
        WHERE s.mapping_id = m.id AND m.enabled AND c.enabled AND ${where} AND s.state = 'paused'
        RETURNING s.id, s.mapping_id, s.attempt_count`,
      params,
    )) as [{ id: string; mapping_id: string; attempt_count: number }[], number];
    const perMapping = new Map<string, SyncRef>();
    for (const r of rows) if (!perMapping.has(r.mapping_id)) perMapping.set(r.mapping_id, { id: r.id, attemptCount: r.attempt_count });
    return [...perMapping.values()];
  }

  /** One open sync of the mapping that is due and free, to hand the next batch a job. */
  async nextDue(mappingId: string): Promise<SyncRef | null> {
    const [row] = (await this.db.query(
      `SELECT id, attempt_count FROM syncs
        WHERE mapping_id = $1 AND state IN ('pending', 'queued') AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until < now())
        ORDER BY seq LIMIT 1`,
      [mappingId],
    )) as { id: string; attempt_count: number }[];
    return row ? { id: row.id, attemptCount: row.attempt_count } : null;
  }

  /**
   * Whether an enabled mapping into this Moodle course has a sync that a worker could claim now or
   * within the claim's 2 s allowance (due, not held, its student not being pushed): a read-back of
   * the course waits for those to be written first.
   */
  async hasClaimableSyncs(connectionId: string, courseId: number): Promise<boolean> {
    const rows = (await this.db.query(
      `SELECT 1 FROM syncs s JOIN mappings m ON m.id = s.mapping_id JOIN connections c ON c.id = m.connection_id
        WHERE m.connection_id = $1 AND m.lms_course_id = $2 AND m.enabled AND c.enabled
          AND s.state IN ('pending', 'queued') AND (s.lease_until IS NULL OR s.lease_until < now())
          AND s.next_attempt_at <= now() + interval '2 seconds'
          AND NOT EXISTS (SELECT 1 FROM syncs busy
                           WHERE busy.mapping_id = s.mapping_id AND busy.student_key = s.student_key
                             AND busy.state IN ('pending', 'queued') AND busy.lease_until >= now())
        LIMIT 1`,
      [connectionId, courseId],
    )) as unknown[];
    return rows.length > 0;
  }

  /**
   * Other attempts of the same students at the same mapping, for the attempt policy: one query for
   * a whole batch. A rival is another sync with the same student key, or one already resolved to
   * the same Moodle user (`lmsUserIds`: sync id → the user it resolved to in this batch).
   */
  async rivalsOf(syncs: readonly SyncEntity[], lmsUserIds: ReadonlyMap<string, number>): Promise<Map<string, RivalAttempt[]>> {
    const rivals = new Map<string, RivalAttempt[]>(syncs.map((s) => [s.id, []]));
    if (syncs.length === 0) return rivals;
    const rows = (await this.db.query(
      `SELECT s.id, s.student_key, s.lms_user_id, s.submission_id, s.state, s.source_score, sub.received_at, sub.seq
         FROM syncs s JOIN submissions sub ON sub.id = s.submission_id
        WHERE s.mapping_id = $1 AND (s.student_key = ANY($2::text[]) OR s.lms_user_id = ANY($3::int[]))`,
      [syncs[0]!.mappingId, syncs.map((s) => s.studentKey), [...new Set(lmsUserIds.values())]],
    )) as { id: string; student_key: string; lms_user_id: number | null; submission_id: string; state: SyncState; source_score: number | null; received_at: Date; seq: string }[];
    for (const sync of syncs) {
      const userId = lmsUserIds.get(sync.id);
      // A batch-mate resolved to the same user is a rival too, though its row does not say so yet.
      const sameUser = (r: { id: string; student_key: string; lms_user_id: number | null }) =>
        r.student_key === sync.studentKey || (userId !== undefined && (r.lms_user_id === userId || lmsUserIds.get(r.id) === userId));
      rivals.set(
        sync.id,
        rows
          .filter((r) => r.id !== sync.id && sameUser(r))
          .map((r) => ({ syncId: r.id, submissionId: r.submission_id, state: r.state, score: r.source_score, receivedAt: r.received_at, seq: Number(r.seq) })),
      );
    }
    return rivals;
  }

  /**
   * Attempts that lost to a rival which then failed are decided again (README "Attempt policies"):
   * the mapping's syncs of these students skipped by the attempt policy go back to pending,
   * counting attempts afresh. Returns them, to be enqueued.
   */
  async redecideLosers(mappingId: string, studentKeys: readonly string[]): Promise<SyncRef[]> {
    if (studentKeys.length === 0) return [];
    const [rows] = (await this.db.query(
      `UPDATE syncs s SET state = 'pending', reason = 're-deciding: the attempt that won failed', retry_base = s.attempt_count,
              next_attempt_at = now(), updated_at = now()
        WHERE s.mapping_id = $1 AND s.student_key = ANY($2::text[]) AND s.state = 'skipped'
          AND EXISTS (SELECT 1 FROM sync_attempts a WHERE a.sync_id = s.id AND a.number = s.attempt_count AND a.error_code = $3)
        RETURNING s.id, s.attempt_count`,
      [mappingId, studentKeys, ATTEMPT_POLICY],
    )) as [{ id: string; attempt_count: number }[], number];
    return rows.map((r) => ({ id: r.id, attemptCount: r.attempt_count }));
  }

  /**
   * Records the attempts of a batch and moves each sync to its outcome (or back to queued, due at
   * `retryAt`): two statements in one transaction, however large the batch. Only syncs this claim
   * (`token`) still holds change; returns their ids (the others were taken over by another worker,
   * whose result must stand).
   */
  async finishMany(finishes: readonly Finish[], token: string): Promise<Set<string>> {
    if (finishes.length === 0) return new Set();
    const finishedAt = new Date();
    return this.db.transaction(async (tx: EntityManager) => {
      const changes = finishes.map(({ sync, outcome }) => ({
        id: sync.id,
        state: outcome.state,
        reason: outcome.reason,
        retry_at: outcome.state === 'queued' ? outcome.retryAt.toISOString() : null,
        set_grade: outcome.state !== 'queued' && outcome.grade !== undefined,
        grade: outcome.state !== 'queued' ? (outcome.grade ?? null) : null,
        set_user: outcome.state !== 'queued' && outcome.lmsUserId !== undefined,
        lms_user_id: outcome.state !== 'queued' ? (outcome.lmsUserId ?? null) : null,
      }));
      const [rows] = (await tx.query(
        `UPDATE syncs s SET state = v.state, reason = v.reason, lease_until = NULL, claim_token = NULL, updated_at = now(),
                next_attempt_at = coalesce(v.retry_at, s.next_attempt_at),
                grade = CASE WHEN v.set_grade THEN v.grade ELSE s.grade END,
                lms_user_id = CASE WHEN v.set_user THEN v.lms_user_id ELSE s.lms_user_id END,
                synced_at = CASE WHEN v.state = 'synced' THEN now() ELSE s.synced_at END
           FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, state text, reason text, retry_at timestamptz,
                set_grade boolean, grade double precision, set_user boolean, lms_user_id integer)
          WHERE s.id = v.id AND s.claim_token = $2
          RETURNING s.id`,
        [JSON.stringify(changes), token],
      )) as [{ id: string }[], number];
      const applied = new Set(rows.map((r) => r.id));
      const recorded = finishes.filter(({ sync }) => applied.has(sync.id));
      if (recorded.length > 0) {
        // One JSON parameter rather than TypeORM's insert: a read-back settles thousands of attempts at once.
        const attempts = recorded.map(({ sync, attempt }) => ({
          sync_id: sync.id,
          number: sync.attemptCount,
          outcome: attempt.outcome,
          reason: attempt.reason,
          error_code: attempt.errorCode,
          calls: attempt.calls,
          started_at: attempt.startedAt.toISOString(),
        }));
        await tx.query(
          `INSERT INTO sync_attempts (sync_id, number, outcome, reason, error_code, calls, started_at, finished_at)
           SELECT v.sync_id, v.number, v.outcome, v.reason, v.error_code, v.calls, v.started_at, $2
             FROM jsonb_to_recordset($1::jsonb) AS v(sync_id uuid, number integer, outcome text, reason text, error_code text, calls jsonb, started_at timestamptz)`,
          [JSON.stringify(attempts), finishedAt.toISOString()],
        );
      }
      return applied;
    });
  }

  async markQueued(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE syncs SET state = 'queued', updated_at = now() WHERE id = ANY($1::uuid[]) AND state = 'pending'`, [ids]);
  }

  /**
   * Hands open syncs that no queue job is looking after to `enqueue`, under FOR UPDATE SKIP LOCKED
   * so that several relays never pick the same rows. `pending` syncs never reached the queue;
   * `queued` ones whose due time passed more than `staleAfterMs` ago lost their job (Redis
   * flushed); an open sync whose lease ran out without an outcome lost its worker (killed, frozen,
   * cut off from the database) and is enqueued at once.
   */
  async relayDue(limit: number, staleAfterMs: number, pendingGraceMs: number, enqueue: (syncs: SyncRef[]) => Promise<boolean>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = (await tx.query(
        `SELECT id, attempt_count FROM syncs
          WHERE ((state = 'pending' AND next_attempt_at <= now() AND updated_at <= now() - make_interval(secs => $3::double precision / 1000))
              OR (state = 'queued' AND next_attempt_at <= now() - make_interval(secs => $2::double precision / 1000)
                  AND updated_at <= now() - make_interval(secs => $2::double precision / 1000))
              OR (state IN ('pending', 'queued') AND lease_until < now() AND next_attempt_at <= now()))
            AND (lease_until IS NULL OR lease_until < now())
          ORDER BY next_attempt_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [limit, staleAfterMs, pendingGraceMs],
      )) as { id: string; attempt_count: number }[];
      if (rows.length === 0) return 0;
      const ok = await enqueue(rows.map((r) => ({ id: r.id, attemptCount: r.attempt_count })));
      if (!ok) return 0;
      await tx.query(
        `UPDATE syncs SET state = 'queued', lease_until = NULL, updated_at = now() WHERE id = ANY($1::uuid[])`,
        [rows.map((r) => r.id)],
      );
      return rows.length;
    });
  }
}
