import { Module } from '@nestjs/common';
import { AssessmentsModule } from '../assessments/assessments.module';
import { MappingsModule } from '../mappings/mappings.module';
import { CallbackRoute } from './callback.route';
import { IntakeRepository } from './intake.repository';
import { IntakeService } from './intake.service';
import { CallbackRateLimiter } from './rate-limit/callback-rate-limiter';
import { RedisThrottlerStorage } from './rate-limit/redis-throttler.storage';
import { QuarantineController } from '../quarantine/quarantine.controller';
import { QuarantineRepository } from '../quarantine/quarantine.repository';
import { QuarantineService } from '../quarantine/quarantine.service';

/**
 * POST /speechace/callback (CallbackRoute serves it ahead of Express, see app.setup.ts), and the
 * quarantine of refused callbacks, which replays through IntakeService.
 */
@Module({
  imports: [MappingsModule, AssessmentsModule],
  controllers: [QuarantineController],
  providers: [CallbackRoute, IntakeService, IntakeRepository, CallbackRateLimiter, RedisThrottlerStorage, QuarantineService, QuarantineRepository],
})
export class IntakeModule {}
