import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../admin/audit/audit.service';
import { Principal } from '../admin/auth/roles';
import { insertMatchingSyncs } from '../sync/sync-matching';
import { SyncQueue } from '../sync/sync.queue';
import { SyncRepository } from '../sync/sync.repository';
import { CallbackUrlSigner } from './callback-url.signer';
import { CallbackUrlDto, CallbackUrlView, ReplayDto, ReplayView } from './mapping-actions.dto';
import { MappingsService } from './mappings.service';

/** What an admin does with a mapping beyond CRUD: hand out its callback URL, replay old submissions. */
@Injectable()
export class MappingActionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly mappings: MappingsService,
    private readonly signer: CallbackUrlSigner,
    private readonly queue: SyncQueue,
    private readonly syncs: SyncRepository,
    private readonly audit: AuditService,
  ) {}

  async callbackUrl(id: string, dto: CallbackUrlDto): Promise<CallbackUrlView> {
    const mapping = await this.mappings.find(id);
    return { url: this.signer.url(mapping, dto.user), signed: dto.user !== undefined };
  }

  /** Grades stored submissions that matched no mapping when they arrived and match this one now. */
  async replay(actor: Principal, id: string, dto: ReplayDto): Promise<ReplayView> {
    await this.mappings.find(id);
    const created = await insertMatchingSyncs(
      this.db.manager,
      `m.id = $1
       AND ($2::timestamptz IS NULL OR sub.received_at >= $2) AND ($3::timestamptz IS NULL OR sub.received_at < $3)
       AND NOT EXISTS (SELECT 1 FROM syncs other WHERE other.submission_id = sub.id)`,
      [id, dto.from ?? null, dto.to ?? null],
    );
    let queued = 0;
    if (created.length > 0 && (await this.queue.enqueue(created))) {
      await this.syncs.markQueued(created.map((s) => s.id));
      queued = created.length;
    }
    await this.audit.record(actor, 'mapping.replay', 'mapping', id, null, { ...dto, created: created.length });
    return { created: created.length, queued };
  }
}
