import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../admin/audit/audit.service';
import { allowedCourses } from '../admin/auth/course-scope';
import { Principal } from '../admin/auth/roles';
import { SyncState } from '../sync/sync.entity';
import { SyncQueue } from '../sync/sync.queue';
import { SyncRef, SyncRepository } from '../sync/sync.repository';
import { BulkRetryDto, BulkRetryResult, RETRYABLE_STATES } from './list-query.dto';
import { SyncView } from './submission.dto';
import { SubmissionsRepository } from './submissions.repository';
import { optionalDate, SubmissionsService } from './submissions.service';

/** Jobs handed to Redis per addBulk call, so a retry of thousands of syncs does not build one giant command. */
const ENQUEUE_BATCH = 500;

const WHY_NOT: Partial<Record<SyncState, string>> = {
  synced: 'Moodle already holds its grade',
  pending: 'it is already waiting for the queue',
  queued: 'it is already in the queue',
  paused: 'it is paused until its mapping and connection are enabled again, and then resumes by itself',
};

/** An admin puts finished syncs that did not reach Moodle (failed, blocked, skipped) back in the queue. */
@Injectable()
export class SyncRetryService {
  constructor(
    private readonly repo: SubmissionsRepository,
    private readonly reads: SubmissionsService,
    private readonly syncs: SyncRepository,
    private readonly queue: SyncQueue,
    private readonly audit: AuditService,
  ) {}

  async retry(actor: Principal, id: string): Promise<SyncView> {
    const before = await this.reads.getSync(actor, id);
    const ref = await this.repo.requeue(id, RETRYABLE_STATES, retryReason(actor));
    if (!ref) {
      const now = await this.repo.findSync(id);
      if (!now) throw new NotFoundException(`Sync ${id} not found`);
      throw new ConflictException(
        `Sync ${id} is ${now.state}; only ${RETRYABLE_STATES.join(', ')} syncs can be retried${WHY_NOT[now.state] ? ` (${WHY_NOT[now.state]})` : ''}`,
      );
    }
    const requeued = await this.reads.getSync(actor, id);
    await this.audit.record(actor, 'sync.retry', 'sync', id, withoutAttempts(before), withoutAttempts(requeued));
    await this.enqueue([ref]);
    return this.reads.getSync(actor, id);
  }

  async retryMatching(actor: Principal, dto: BulkRetryDto): Promise<BulkRetryResult> {
    const states = dto.state ?? ['failed'];
    const refs = await this.repo.requeueMatching(
      {
        states,
        mappingId: dto.mappingId,
        assessmentId: dto.assessmentId,
        lmsCourseId: dto.lmsCourseId,
        user: dto.user,
        errorCode: dto.errorCode,
        from: optionalDate(dto.from),
        to: optionalDate(dto.to),
        courses: allowedCourses(actor),
      },
      retryReason(actor),
    );
    await this.enqueue(refs);
    const result = { requeued: refs.length };
    await this.audit.record(actor, 'sync.retry-bulk', 'sync', null, null, { filter: { ...dto, state: states }, ...result });
    return result;
  }

  /** Syncs Redis does not take stay pending; the outbox relay enqueues them later. */
  private async enqueue(refs: readonly SyncRef[]): Promise<void> {
    for (let i = 0; i < refs.length; i += ENQUEUE_BATCH) {
      const batch = refs.slice(i, i + ENQUEUE_BATCH);
      if (await this.queue.enqueue(batch)) await this.syncs.markQueued(batch.map((r) => r.id));
    }
  }
}

function retryReason(actor: Principal): string {
  return `retry requested by ${actor.name}`;
}

function withoutAttempts(view: SyncView): Omit<SyncView, 'attempts'> {
  const { attempts: _attempts, ...rest } = view;
  return rest;
}
