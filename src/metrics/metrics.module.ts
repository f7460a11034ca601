import { Global, Module } from '@nestjs/common';
import { LmsModule } from '../lms/lms.module';
import { LtiAgsModule } from '../lms/lti-ags/lti-ags.module';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';

/** GET /metrics. Global, so intake can count what only it sees (failed key attempts). */
@Global()
@Module({ imports: [LmsModule, LtiAgsModule], controllers: [MetricsController], providers: [MetricsService, MetricsRepository], exports: [MetricsService] })
export class MetricsModule {}
