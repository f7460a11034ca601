import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { allowedCourses, assertCourseAllowed } from '../admin/auth/course-scope';
import { Principal } from '../admin/auth/roles';
import { SYNC_STATES, SyncEntity, SyncState } from '../sync/sync.entity';
import { DEFAULT_PAGE_SIZE, SubmissionListQueryDto, SyncListQueryDto } from './list-query.dto';
import { decodeCursor, encodeCursor } from './page-cursor';
import { SubmissionPage, SubmissionSummary, SubmissionView, SyncListItem, SyncPage, SyncSummaryView, SyncView } from './submission.dto';
import { PageRequest, SubmissionsRepository } from './submissions.repository';

/** Reads of submissions and syncs; a viewer limited to some LMS courses sees only rows of those courses. */
@Injectable()
export class SubmissionsService {
  constructor(private readonly repo: SubmissionsRepository) {}

  async get(principal: Principal, id: string): Promise<SubmissionView> {
    const submission = await this.repo.findSubmission(id);
    if (!submission) throw new NotFoundException(`Submission ${id} not found`);
    const syncs = visibleTo(principal, await this.repo.syncsOf([id]));
    if (principal.lmsCourseIds && syncs.length === 0) {
      throw new ForbiddenException(`This token may not see submission ${id}: it has no sync in LMS course(s) ${principal.lmsCourseIds.join(', ')}`);
    }
    return SubmissionView.of(submission, syncs.map((s) => SyncView.of(s)));
  }

  async getSync(principal: Principal, id: string): Promise<SyncView> {
    const sync = await this.repo.findSync(id);
    if (!sync) throw new NotFoundException(`Sync ${id} not found`);
    assertCourseAllowed(principal, sync.mapping!.lmsCourseId);
    return SyncView.of(sync, await this.repo.attemptsOf(id));
  }

  async listSubmissions(principal: Principal, query: SubmissionListQueryDto): Promise<SubmissionPage> {
    if (query.lmsCourseId !== undefined) assertCourseAllowed(principal, query.lmsCourseId);
    const page = pageRequest(query);
    const rows = await this.repo.listSubmissions(
      {
        assessmentId: query.assessmentId,
        quizId: query.quizId,
        lmsCourseId: query.lmsCourseId,
        user: query.user,
        from: optionalDate(query.from),
        to: optionalDate(query.to),
        courses: allowedCourses(principal),
      },
      page,
    );
    const items = rows.slice(0, page.limit);
    const syncs = visibleTo(principal, await this.repo.syncsOf(items.map((s) => s.id)));
    return {
      items: items.map((s) => SubmissionSummary.of(s, syncs.filter((y) => y.submissionId === s.id).map((y) => SyncView.of(y)))),
      nextCursor: rows.length > page.limit ? encodeCursor(items[items.length - 1]!.seq) : null,
    };
  }

  async listSyncs(principal: Principal, query: SyncListQueryDto): Promise<SyncPage> {
    if (query.lmsCourseId !== undefined) assertCourseAllowed(principal, query.lmsCourseId);
    const page = pageRequest(query);
    const rows = await this.repo.listSyncs(
      {
        states: query.state,
        mappingId: query.mappingId,
        assessmentId: query.assessmentId,
        submissionId: query.submissionId,
        lmsCourseId: query.lmsCourseId,
        user: query.user,
        errorCode: query.errorCode,
        from: optionalDate(query.from),
        to: optionalDate(query.to),
        courses: allowedCourses(principal),
      },
      page,
    );
    const items = rows.slice(0, page.limit);
    return {
      items: items.map((r) => SyncListItem.ofListed(r.sync, r.lmsCourseId, r.errorCode)),
      nextCursor: rows.length > page.limit ? encodeCursor(items[items.length - 1]!.sync.seq) : null,
    };
  }

  async summarizeSyncs(principal: Principal): Promise<SyncSummaryView> {
    const { counts, oldestOpenAt } = await this.repo.summarizeSyncs({ courses: allowedCourses(principal) });
    const byState = Object.fromEntries(SYNC_STATES.map((state) => [state, 0])) as Record<SyncState, number>;
    for (const row of counts) byState[row.state] = row.count;
    const oldestOpenAgeSeconds = oldestOpenAt ? Math.max(0, Math.round((Date.now() - new Date(oldestOpenAt).getTime()) / 1000)) : null;
    return { byState, oldestOpenCreatedAt: oldestOpenAt, oldestOpenAgeSeconds };
  }
}

function visibleTo(principal: Principal, syncs: SyncEntity[]): SyncEntity[] {
  const courses = allowedCourses(principal);
  return courses ? syncs.filter((s) => courses.includes(s.mapping!.lmsCourseId)) : syncs;
}

function pageRequest(query: { limit?: number; cursor?: string }): PageRequest {
  // The DTO has validated the cursor already; decodeCursor cannot answer null here.
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, beforeSeq: query.cursor ? decodeCursor(query.cursor) : null };
}

export function optionalDate(iso: string | undefined): Date | undefined {
  return iso === undefined ? undefined : new Date(iso);
}
