import { Module } from '@nestjs/common';
import { AssessmentsModule } from '../assessments/assessments.module';
import { MappingsModule } from '../mappings/mappings.module';
import { IntakeController } from './intake.controller';
import { IntakeRepository } from './intake.repository';
import { IntakeService } from './intake.service';
import { callbackRateLimitProviders } from './rate-limit/callback-rate-limit.providers';

@Module({ imports: [MappingsModule, AssessmentsModule], controllers: [IntakeController], providers: [IntakeService, IntakeRepository, ...callbackRateLimitProviders] })
export class IntakeModule {}
