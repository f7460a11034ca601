import { createHash } from 'node:crypto';
import { Injectable, Logger, NotFoundException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { secretMatchesAny } from '../common/crypto/secret-hash';
import { CallbackUrlSigner } from '../mappings/callback-url.signer';
import { MetricsService } from '../metrics/metrics.service';
import { SyncWakeups } from '../sync/sync-wakeups';
import { AssessmentKeyCache } from '../assessments/assessment-key.cache';
import { parseCallbackBody } from './callback-body.parser';
import { stripCallbackKey, stripFormKey } from './callback-key.stripper';
import { CallbackFields, CallbackQuery, readCallbackFields } from './callback-fields';
import { IntakeRepository } from './intake.repository';

export interface CallbackRequest {
  rawBody: Buffer;
  contentType: string | undefined;
  query: CallbackQuery;
  rawQuery: string | null;
  sourceIp: string | null;
  /** Correlates this callback's log lines. */
  requestId: string;
}

export interface CallbackReceipt {
  submissionId: string;
  duplicate: boolean;
  syncs: { id: string; mappingId: string; state: string }[];
}

/**
 * Where a callback enters: parse, check the key, store durably, wake the worker. Nothing remote.
 * The syncs stay `pending` (no second write on the request path); SyncWakeups tells the worker
 * about them without making the callback wait for Redis.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);

  constructor(
    private readonly intake: IntakeRepository,
    private readonly keys: AssessmentKeyCache,
    private readonly wakeups: SyncWakeups,
    private readonly signer: CallbackUrlSigner,
    private readonly metrics: MetricsService,
  ) {}

  async receive(request: CallbackRequest): Promise<CallbackReceipt> {
    const body = parseCallbackBody(request.rawBody, request.contentType);
    const fields = readCallbackFields(body, request.query);
    if (!fields.key) throw new UnauthorizedException('The callback has no key: Speechace sends the assessment key in "key"');
    const signedMappingId = this.verifiedSignature(fields);

    const found = await this.storage(request, () => this.keys.find(fields.speechaceCourseId));
    if (!found) {
      throw new NotFoundException(`No assessment is registered for Speechace courseId "${fields.speechaceCourseId}"`);
    }
    if (!secretMatchesAny(fields.key, found.keyHashes)) {
      this.logger.warn(`rejected a callback for assessment ${found.assessmentId} from ${request.sourceIp ?? 'unknown'}: wrong key (request ${request.requestId})`);
      this.metrics.failedKeyAttempt();
      throw new UnauthorizedException('The key does not match this assessment');
    }

    const stored = await this.storage(request, () =>
      this.intake.store({
        dedupeHash: dedupeHash(found.assessmentId, fields),
        assessmentId: found.assessmentId,
        speechaceCourseId: fields.speechaceCourseId,
        speechaceQuizId: fields.speechaceQuizId,
        speechaceUserId: fields.speechaceUserId,
        userRef: fields.userRef,
        queryCourseId: fields.queryCourseId,
        queryTestId: fields.queryTestId,
        scores: fields.scores,
        reportUrl: fields.reportUrl,
        version: fields.version,
        // The key is checked above and kept only as a hash: the stored body and query are without it.
        rawBody: stripCallbackKey(request.rawBody.toString('utf8'), request.contentType),
        contentType: request.contentType ?? null,
        rawQuery: request.rawQuery === null ? null : stripFormKey(request.rawQuery),
        sourceIp: request.sourceIp,
        signedMappingId,
      }),
    );
    if (!stored.duplicate) this.wakeups.notify(stored.syncs);
    return {
      submissionId: stored.submissionId,
      duplicate: stored.duplicate,
      syncs: stored.syncs.map(({ id, mappingId, state }) => ({ id, mappingId, state })),
    };
  }

  /** The mapping a signed URL names, once its sig is checked against mapping and userid; null when unsigned. */
  private verifiedSignature(fields: CallbackFields): string | null {
    const signature = fields.signature;
    if (!signature) return null;
    if (signature.userId === null || !this.signer.verify(signature.mappingId, signature.userId, signature.sig)) {
      throw new UnauthorizedException('The signed callback URL was altered: sig does not match its mapping (mid) and userid');
    }
    return signature.mappingId;
  }

  /** The database is the promise we make: when it cannot answer, say 503 so the sender retries. */
  private async storage<T>(request: CallbackRequest, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.logger.error(`could not store a callback (request ${request.requestId}): ${(error as Error).message}`);
      throw new ServiceUnavailableException('The callback could not be stored right now; please retry');
    }
  }
}

/** One attempt = same assessment, quiz, LMS user, embedding ids and report (or scores, if no report URL). */
export function dedupeHash(assessmentId: string, f: CallbackFields): string {
  const identity = [assessmentId, f.speechaceQuizId, f.userRef, f.queryCourseId, f.queryTestId, f.reportUrl ?? JSON.stringify(f.scores)];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}
