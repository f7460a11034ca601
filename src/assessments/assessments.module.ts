import { Module } from '@nestjs/common';
import { AssessmentKeyCache } from './assessment-key.cache';
import { AssessmentsController } from './assessments.controller';
import { AssessmentsService } from './assessments.service';

@Module({ controllers: [AssessmentsController], providers: [AssessmentsService, AssessmentKeyCache], exports: [AssessmentKeyCache] })
export class AssessmentsModule {}
