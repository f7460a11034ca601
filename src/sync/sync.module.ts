import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { LmsModule } from '../lms/lms.module';
import { LtiAgsModule } from '../lms/lti-ags/lti-ags.module';
import { AgsBatchAttempt } from './ags/ags-batch.attempt';
import { OutboxRelay } from './outbox.relay';
import { SyncProcessor } from './sync.processor';
import { SYNC_QUEUE, SyncQueue } from './sync.queue';
import { SyncRepository } from './sync.repository';
import { SyncService } from './sync.service';
import { MoodleAttempt } from './moodle-attempt';
import { SyncPauses } from './sync-pauses';
import { SyncWakeups } from './sync-wakeups';

/** The grade-sync queue. Every role can enqueue; only worker roles process and relay. */
@Module({})
export class SyncModule {
  static forRoot(config: AppConfig): DynamicModule {
    const workerProviders: Provider[] = config.runsWorker ? [SyncProcessor, OutboxRelay] : [];
    const queue = BullModule.registerQueue({ name: SYNC_QUEUE });
    return {
      module: SyncModule,
      global: true,
      imports: [queue, LmsModule, LtiAgsModule],
      providers: [SyncQueue, SyncWakeups, SyncRepository, SyncService, MoodleAttempt, AgsBatchAttempt, SyncPauses, ...workerProviders],
      exports: [queue, SyncQueue, SyncWakeups, SyncRepository, SyncPauses],
    };
  }
}
