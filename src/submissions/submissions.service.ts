import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SyncAttemptEntity } from '../sync/sync-attempt.entity';
import { SyncEntity } from '../sync/sync.entity';
import { SubmissionView, SyncView } from './submission.dto';
import { SubmissionEntity } from './submission.entity';

@Injectable()
export class SubmissionsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async get(id: string): Promise<SubmissionView> {
    const submission = await this.db.getRepository(SubmissionEntity).findOne({ where: { id } });
    if (!submission) throw new NotFoundException(`Submission ${id} not found`);
    const syncs = await this.db.getRepository(SyncEntity).find({ where: { submissionId: id }, order: { createdAt: 'ASC' } });
    return SubmissionView.of(submission, syncs.map((s) => SyncView.of(s)));
  }

  async getSync(id: string): Promise<SyncView> {
    const sync = await this.db.getRepository(SyncEntity).findOne({ where: { id } });
    if (!sync) throw new NotFoundException(`Sync ${id} not found`);
    const attempts = await this.db.getRepository(SyncAttemptEntity).find({ where: { syncId: id }, order: { number: 'ASC' } });
    return SyncView.of(sync, attempts);
  }
}
