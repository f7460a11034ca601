import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { RivalAttempt } from './attempt-policy';
import { RecordedLmsCall, SyncAttemptEntity } from './sync-attempt.entity';
import { SyncOutcome } from './sync-outcome';
import { SyncEntity, SyncState } from './sync.entity';

export interface SyncRef {
  id: string;
  attemptCount: number;
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
   * Takes an open sync for one attempt. The lease makes a second worker (or a repeated job) back
   * off; if this worker dies, the lease runs out and the outbox relay hands the sync out again.
   */
  async claim(syncId: string, leaseMs: number): Promise<SyncEntity | null> {
    const [rows] = (await this.db.query(
      `UPDATE syncs SET lease_until = now() + make_interval(secs => $2::double precision / 1000),
              attempt_count = attempt_count + 1, updated_at = now()
        WHERE id = $1 AND state IN ('pending', 'queued') AND (lease_until IS NULL OR lease_until < now())
        RETURNING id`,
      [syncId, leaseMs],
    )) as [{ id: string }[], number];
    if (rows.length === 0) return null;
    return this.db.getRepository(SyncEntity).findOne({
      where: { id: syncId },
      relations: { submission: true, mapping: { connection: true } },
    });
  }

  async rivals(sync: SyncEntity): Promise<RivalAttempt[]> {
    const rows = (await this.db.query(
      `SELECT s.id, s.submission_id, s.state, s.source_score, sub.received_at
         FROM syncs s JOIN submissions sub ON sub.id = s.submission_id
        WHERE s.mapping_id = $1 AND s.user_ref = $2 AND s.id <> $3`,
      [sync.mappingId, sync.userRef, sync.id],
    )) as { id: string; submission_id: string; state: SyncState; source_score: number | null; received_at: Date }[];
    return rows.map((r) => ({ syncId: r.id, submissionId: r.submission_id, state: r.state, sourceScore: r.source_score, receivedAt: r.received_at }));
  }

  /** Records the attempt and moves the sync to its outcome (or back to queued, due at `retryAt`). */
  async finish(sync: SyncEntity, attempt: AttemptRecord, outcome: SyncOutcome | { state: 'queued'; retryAt: Date; reason: string }): Promise<void> {
    await this.db.transaction(async (tx: EntityManager) => {
      await tx.getRepository(SyncAttemptEntity).insert({
        syncId: sync.id,
        number: sync.attemptCount,
        outcome: attempt.outcome,
        reason: attempt.reason,
        errorCode: attempt.errorCode,
        calls: attempt.calls,
        startedAt: attempt.startedAt,
        finishedAt: new Date(),
      });
      const changes: Partial<SyncEntity> = { state: outcome.state, reason: outcome.reason, leaseUntil: null };
      if (outcome.state === 'queued') {
        changes.nextAttemptAt = outcome.retryAt;
      } else {
        if (outcome.grade !== undefined) changes.grade = outcome.grade;
        if (outcome.lmsUserId !== undefined) changes.lmsUserId = outcome.lmsUserId;
        if (outcome.state === 'synced') changes.syncedAt = new Date();
      }
      await tx.getRepository(SyncEntity).update({ id: sync.id }, changes);
    });
  }

  async markQueued(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE syncs SET state = 'queued', updated_at = now() WHERE id = ANY($1::uuid[]) AND state = 'pending'`, [ids]);
  }

  /**
   * Hands open syncs that no queue job is looking after to `enqueue`, under FOR UPDATE SKIP LOCKED
   * so that several relays never pick the same rows. `pending` syncs never reached the queue;
   * `queued` ones whose due time passed more than `staleAfterMs` ago (and whose lease ran out)
   * lost their job (Redis flushed, a worker died).
   */
  async relayDue(limit: number, staleAfterMs: number, recheckAfterMs: number, enqueue: (syncs: SyncRef[]) => Promise<boolean>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = (await tx.query(
        `SELECT id, attempt_count FROM syncs
          WHERE ((state = 'pending' AND next_attempt_at <= now())
              OR (state = 'queued' AND next_attempt_at <= now() - make_interval(secs => $2::double precision / 1000)))
            AND (lease_until IS NULL OR lease_until < now())
          ORDER BY next_attempt_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [limit, staleAfterMs],
      )) as { id: string; attempt_count: number }[];
      if (rows.length === 0) return 0;
      const ok = await enqueue(rows.map((r) => ({ id: r.id, attemptCount: r.attempt_count })));
      if (!ok) return 0;
      await tx.query(
        `UPDATE syncs SET state = 'queued', next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
          WHERE id = ANY($1::uuid[])`,
        [rows.map((r) => r.id), recheckAfterMs],
      );
      return rows.length;
    });
  }
}
