import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module';
import { BearerAuthGuard } from './admin/auth/bearer-auth.guard';
import { AssessmentsModule } from './assessments/assessments.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { CryptoModule } from './common/crypto/crypto.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ConnectionsModule } from './connections/connections.module';
import { dataSourceOptions } from './database/data-source-options';
import { HealthModule } from './health/health.module';
import { IntakeModule } from './intake/intake.module';
import { loggerOptions } from './common/logger-options';
import { LtiModule } from './lti/lti.module';
import { MappingsModule } from './mappings/mappings.module';
import { MetricsModule } from './metrics/metrics.module';
import { bullRedisOptions } from './sync/redis-options';
import { SubmissionsModule } from './submissions/submissions.module';
import { GradesModule } from './grades/grades.module';
import { SyncModule } from './sync/sync.module';

/** Everything, wired for one validated config. ROLE decides whether HTTP and/or the worker run (see main.ts). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config)),
        CryptoModule,
        TypeOrmModule.forRoot(dataSourceOptions(config.DATABASE_URL)),
        BullModule.forRoot(bullRedisOptions(config)),
        SyncModule.forRoot(config),
        AdminModule,
        HealthModule,
        MetricsModule,
        IntakeModule,
        ConnectionsModule,
        AssessmentsModule,
        MappingsModule,
        SubmissionsModule,
        GradesModule,
        LtiModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
