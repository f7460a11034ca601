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
import { RefusedCallbacks } from './refused-callbacks';

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
  private readonly refused = new RefusedCallbacks();

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
    // The key is checked below and kept only as a hash: the stored body and query are without it,
    // and the bytes that identify a callback (README "Repeats") are the stored ones.
    const storedBody = stripCallbackKey(request.rawBody.toString('utf8'), request.contentType);
    const storedQuery = request.rawQuery === null ? null : stripFormKey(request.rawQuery);
    const hashOfBytes = bodyHash(storedBody, storedQuery);
    if (!fields.key) throw new UnauthorizedException('The callback has no key: Speechace sends the assessment key in "key"');
    const signedMappingId = this.verifiedSignature(fields);

    const found = await this.storage(request, hashOfBytes, () => this.keys.find(fields.speechaceCourseId));
    if (!found) {
      throw new NotFoundException(`No assessment is registered for Speechace courseId "${fields.speechaceCourseId}"`);
    }
    if (!secretMatchesAny(fields.key, found.keyHashes)) {
      this.logger.warn(`rejected a callback for assessment ${found.assessmentId} from ${request.sourceIp ?? 'unknown'}: wrong key (request ${request.requestId})`);
      this.metrics.failedKeyAttempt();
      throw new UnauthorizedException('The key does not match this assessment');
    }

    const stored = await this.storage(request, hashOfBytes, () =>
      this.intake.store({
        dedupeHash: fields.reportUrl === null ? null : dedupeHash(found.assessmentId, fields),
        bodyHash: hashOfBytes,
        firstSeenAt: this.refused.firstSeen(hashOfBytes),
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
        rawBody: storedBody,
        contentType: request.contentType ?? null,
        rawQuery: storedQuery,
        sourceIp: request.sourceIp,
        signedMappingId,
      }),
    );
    this.refused.forget(hashOfBytes);
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

  /**
   * The database is the promise we make: when it cannot answer, say 503 so the sender retries,
   * and remember when these bytes first came, so the retry keeps its place among the attempts.
   */
  private async storage<T>(request: CallbackRequest, hashOfBytes: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.refused.remember(hashOfBytes);
      this.logger.error(`could not store a callback (request ${request.requestId}): ${(error as Error).message}`);
      throw new ServiceUnavailableException('The callback could not be stored right now; please retry');
    }
  }
}

/** With a reportUrl, one attempt = same assessment, quiz, LMS user, embedding ids and report. (Without one, see IntakeRepository.) */
export function dedupeHash(assessmentId: string, f: CallbackFields): string {
  const identity = [assessmentId, f.speechaceQuizId, f.userRef, f.queryCourseId, f.queryTestId, f.reportUrl];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/** The callback's bytes: body and query (the migration AttemptIdentity computes the same in SQL). */
export function bodyHash(rawBody: string, rawQuery: string | null): string {
  return createHash('sha256').update(`${rawBody}\n${rawQuery ?? ''}`).digest('hex');
}
