import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AgsError } from '../lms/lti-ags/ags-errors';
import { LmsError } from '../lms/moodle/moodle-errors';
import { backoffDelayMs } from './retry-policy';
import { RecordedLmsCall } from './sync-attempt.entity';
import { SyncEntity } from './sync.entity';
import { Finish } from './sync.repository';

/** The longest wait a platform's Retry-After is followed for; a longer one waits this long and asks again. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * A transient failure: the batch retries together (one due time, so it is claimed as one batch
 * again) after the backoff, or after an LTI platform's Retry-After when that is longer; syncs
 * that used up SYNC_MAX_ATTEMPTS fail with the last error.
 */
export function retryOrGiveUp(
  config: AppConfig,
  syncs: SyncEntity[],
  error: unknown,
  callsOf: (sync: SyncEntity) => RecordedLmsCall[],
  startedAt: Date,
  logger: Logger,
): { finishes: Finish[]; retry: { syncs: SyncEntity[]; delayMs: number } | null } {
  const lmsError = error instanceof LmsError ? error : null;
  if (!lmsError) logger.error(`unexpected error in a batch of ${syncs.length}`, error instanceof Error ? error.stack : String(error));
  const reason = lmsError?.message ?? `internal error: ${error instanceof Error ? error.message : String(error)}`;
  const errorCode = lmsError?.code ?? 'internal_error';
  const attempts = (sync: SyncEntity) => sync.attemptCount - sync.retryBase;
  const backoff = backoffDelayMs(Math.max(...syncs.map(attempts)), config.SYNC_BACKOFF_BASE_MS, config.SYNC_BACKOFF_MAX_MS);
  const asked = error instanceof AgsError && error.retryAfterMs !== null ? Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
  const delayMs = Math.max(backoff, asked);
  const retryAt = new Date(Date.now() + delayMs);
  const finishes: Finish[] = [];
  const retrying: SyncEntity[] = [];
  for (const sync of syncs) {
    if (attempts(sync) >= config.SYNC_MAX_ATTEMPTS) {
      const finalReason = `gave up after ${attempts(sync)} attempts; last error: ${reason}`;
      finishes.push({ sync, attempt: { outcome: 'failed', reason: finalReason, errorCode, calls: callsOf(sync), startedAt }, outcome: { state: 'failed', reason: finalReason, errorCode } });
      logger.warn(`sync ${sync.id}: ${finalReason}`);
    } else {
      finishes.push({ sync, attempt: { outcome: 'retry', reason, errorCode, calls: callsOf(sync), startedAt }, outcome: { state: 'queued', retryAt, reason: `will retry at ${retryAt.toISOString()}: ${reason}` } });
      retrying.push(sync);
    }
  }
  return { finishes, retry: retrying.length > 0 ? { syncs: retrying, delayMs } : null };
}
