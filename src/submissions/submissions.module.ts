import { Module } from '@nestjs/common';
import { SubmissionsController } from './submissions.controller';
import { SubmissionsRepository } from './submissions.repository';
import { SubmissionsService } from './submissions.service';
import { SyncRetryService } from './sync-retry.service';
import { SyncsController } from './syncs.controller';

@Module({ controllers: [SubmissionsController, SyncsController], providers: [SubmissionsRepository, SubmissionsService, SyncRetryService] })
export class SubmissionsModule {}
