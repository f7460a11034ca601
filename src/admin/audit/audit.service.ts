import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { Principal } from '../auth/roles';
import { AuditEntryEntity } from './audit-entry.entity';

const SECRET_FIELDS = /^(token|callbackKey|key|tokenEncrypted|keyHash|tokenHash|password)$/i;

/** Drops secret-looking fields at any depth, so an audit entry can never carry one. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_FIELDS.test(k)).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return value;
}

function snapshot(value: unknown): Record<string, unknown> | null {
  return value === null || value === undefined ? null : (withoutSecrets(value) as Record<string, unknown>);
}

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(actor: Principal, action: string, entityType: string, entityId: string | null, before: unknown, after: unknown): Promise<void> {
    const entries = this.db.getRepository(AuditEntryEntity);
    await entries.save(entries.create({
      actorTokenId: actor.tokenId,
      actorName: actor.name,
      action,
      entityType,
      entityId,
      before: snapshot(before),
      after: snapshot(after),
    }));
  }

  /** Newest first; `before` is the `at` of the last entry of the previous page. */
  async list(limit: number, before?: Date): Promise<AuditEntryEntity[]> {
    return this.db.getRepository(AuditEntryEntity).find({
      where: before ? { at: LessThan(before) } : {},
      order: { at: 'DESC', id: 'DESC' },
      take: limit,
    });
  }
}
