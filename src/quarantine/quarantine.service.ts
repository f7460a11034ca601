import { randomUUID } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { BadRequestException, HttpException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AuditService } from '../admin/audit/audit.service';
import { Principal } from '../admin/auth/roles';
import { CredentialCipher } from '../common/crypto/credential-cipher';
import { AppConfig } from '../config/app-config';
import { redactKeyLoosely, stripCallbackKey, stripFormKey } from '../intake/callback-key.stripper';
import { IntakeService } from '../intake/intake.service';
import { MetricsService } from '../metrics/metrics.service';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../submissions/list-query.dto';
import { decodeCursor, encodeCursor } from '../submissions/page-cursor';
import { QuarantinedCallbackEntity } from './quarantined-callback.entity';
import { QuarantinePage, QuarantineReplayView, QuarantinedCallbackView } from './quarantine.dto';
import { QuarantineRepository } from './quarantine.repository';
import { QUARANTINED_STATUSES } from './quarantine-statuses';


export interface RefusedCallback {
  rawBody: Buffer;
  contentType: string | undefined;
  rawQuery: string | null;
  sourceIp: string | null;
  requestId: string;
}

@Injectable()
export class QuarantineService {
  private readonly logger = new Logger(QuarantineService.name);

  constructor(
    private readonly repo: QuarantineRepository,
    private readonly cipher: CredentialCipher,
    private readonly intake: IntakeService,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  /** Keeps a refused callback; never throws (the sender gets its 4xx whatever happens here). */
  async keep(callback: RefusedCallback, status: number, reason: string): Promise<void> {
    if (this.config.QUARANTINE_MAX_ROWS === 0 || callback.rawBody.length === 0 || !QUARANTINED_STATUSES.has(status)) return;
    try {
      await this.repo.keep(
        {
          status,
          reason,
          contentType: callback.contentType ?? null,
          bodyEncrypted: this.cipher.encrypt(callback.rawBody.toString('base64')),
          bodyBytes: callback.rawBody.length,
          rawQuery: callback.rawQuery === null ? null : stripFormKey(callback.rawQuery),
          sourceIp: callback.sourceIp,
          requestId: callback.requestId,
        },
        { retentionDays: this.config.QUARANTINE_RETENTION_DAYS, maxRows: this.config.QUARANTINE_MAX_ROWS },
      );
      this.metrics.callbackQuarantined(status);
    } catch (error) {
      this.logger.error(`could not quarantine the refused callback of request ${callback.requestId}: ${(error as Error).message}`);
    }
  }

  async list(query: PageQueryDto): Promise<QuarantinePage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repo.page(limit, query.cursor ? decodeCursor(query.cursor) : null);
    const items = rows.slice(0, limit);
    return {
      items: items.map((row) => this.view(row)),
      nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.seq) : null,
    };
  }

  /**
   * Runs intake again on the stored body and query, as if Speechace had just sent them: parsing,
   * the assessment, the key (it must match an active key of the assessment), mappings and dedupe.
   * Stored: the row leaves the quarantine. Still refused: 400 with the reason, and the row stays.
   */
  async replay(actor: Principal, id: string): Promise<QuarantineReplayView> {
    const row = await this.repo.find(id);
    if (!row) throw new NotFoundException(`Quarantined callback ${id} not found`);
    const rawBody = Buffer.from(this.cipher.decrypt(row.bodyEncrypted), 'base64');
    let receipt: QuarantineReplayView;
    try {
      receipt = await this.intake.receive({
        rawBody,
        contentType: row.contentType ?? undefined,
        query: row.rawQuery === null ? {} : (parseQuery(row.rawQuery) as Record<string, unknown>),
        rawQuery: row.rawQuery,
        sourceIp: row.sourceIp,
        requestId: `replay-${randomUUID()}`,
      });
    } catch (error) {
      if (error instanceof HttpException && error.getStatus() < 500) {
        throw new BadRequestException(`Quarantined callback ${id} is still refused (${error.getStatus()}): ${error.message}`);
      }
      throw error;
    }
    await this.repo.remove(id);
    await this.audit.record(actor, 'quarantine.replay', 'quarantined-callback', id, { status: row.status, reason: row.reason, requestId: row.requestId }, receipt);
    return receipt;
  }

  private view(row: QuarantinedCallbackEntity): QuarantinedCallbackView {
    const text = Buffer.from(this.cipher.decrypt(row.bodyEncrypted), 'base64').toString('utf8');
    return {
      id: row.id,
      receivedAt: row.receivedAt,
      status: row.status,
      reason: row.reason,
      contentType: row.contentType,
      bodyBytes: row.bodyBytes,
      body: redactKeyLoosely(stripCallbackKey(text, row.contentType)),
      query: row.rawQuery,
      sourceIp: row.sourceIp,
      requestId: row.requestId,
    };
  }
}
