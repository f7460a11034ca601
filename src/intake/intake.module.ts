import { Module } from '@nestjs/common';
import { AssessmentsModule } from '../assessments/assessments.module';
import { MappingsModule } from '../mappings/mappings.module';
import { CallbackRoute } from './callback.route';
import { IntakeRepository } from './intake.repository';
import { IntakeService } from './intake.service';
import { CallbackRateLimiter } from './rate-limit/callback-rate-limiter';
import { RedisThrottlerStorage } from './rate-limit/redis-throttler.storage';

/** POST /speechace/callback. No controller: CallbackRoute serves it ahead of Express (see app.setup.ts). */
@Module({
  imports: [MappingsModule, AssessmentsModule],
  providers: [CallbackRoute, IntakeService, IntakeRepository, CallbackRateLimiter, RedisThrottlerStorage],
})
export class IntakeModule {}
