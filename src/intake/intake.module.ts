import { Module } from '@nestjs/common';
import { MappingsModule } from '../mappings/mappings.module';
import { IntakeController } from './intake.controller';
import { IntakeRepository } from './intake.repository';
import { IntakeService } from './intake.service';
import { callbackRateLimitProviders } from './rate-limit/callback-rate-limit.providers';

@Module({ imports: [MappingsModule], controllers: [IntakeController], providers: [IntakeService, IntakeRepository, ...callbackRateLimitProviders] })
export class IntakeModule {}
