import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';

/** @nestjs/throttler's guard (it sets Retry-After) with a 429 message that says what the limit is. */
@Injectable()
export class CallbackThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new ThrottlerException(
      `Too many callbacks from ${detail.tracker}: at most ${detail.limit} per minute are accepted from one address; retry after ${detail.timeToBlockExpire} s`,
    );
  }
}
