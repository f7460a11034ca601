import { Provider } from '@nestjs/common';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * What CallbackThrottlerGuard needs, provided in IntakeModule rather than through the global
 * ThrottlerModule, so only the callback route is limited (admin, health and metrics are not).
 */
export const callbackRateLimitProviders: Provider[] = [
  RedisThrottlerStorage,
  { provide: getStorageToken(), useExisting: RedisThrottlerStorage },
  {
    provide: getOptionsToken(),
    inject: [AppConfig],
    useFactory: (config: AppConfig): ThrottlerModuleOptions => ({
      // Named "default" so the 429 carries a plain Retry-After header.
      throttlers: [{ name: 'default', ttl: 60_000, limit: config.CALLBACK_RATE_LIMIT_PER_MIN }],
      skipIf: () => config.CALLBACK_RATE_LIMIT_PER_MIN === 0,
    }),
  },
];
