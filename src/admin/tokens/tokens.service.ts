import { randomBytes } from 'node:crypto';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { hashSecret } from '../../common/crypto/secret-hash';
import { AuditService } from '../audit/audit.service';
import { Principal } from '../auth/roles';
import { ApiTokenEntity } from './api-token.entity';
import { CreatedTokenView, CreateTokenDto, TokenView } from './token.dto';

const TOKEN_PREFIX = 'sgs_';
/** last_used_at is written at most this often per token, so reads do not all become writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class TokensService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  private get tokens() {
    return this.db.getRepository(ApiTokenEntity);
  }

  async create(actor: Principal, dto: CreateTokenDto): Promise<CreatedTokenView> {
    if (dto.role === 'admin' && dto.lmsCourseIds) throw new BadRequestException('lmsCourseIds applies to viewer tokens only');
    const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    const saved = await this.tokens.save(
      this.tokens.create({ name: dto.name, role: dto.role, lmsCourseIds: dto.lmsCourseIds ?? null, tokenHash: hashSecret(token), createdBy: actor.name }),
    );
    const view = TokenView.of(saved);
    await this.audit.record(actor, 'token.create', 'token', saved.id, null, view);
    return { ...view, token };
  }

  async list(): Promise<TokenView[]> {
    return (await this.tokens.find({ order: { createdAt: 'ASC' } })).map(TokenView.of);
  }

  async revoke(actor: Principal, id: string): Promise<void> {
    const token = await this.tokens.findOne({ where: { id } });
    if (!token) throw new NotFoundException(`Token ${id} not found`);
    if (token.revokedAt) return;
    const before = TokenView.of(token);
    token.revokedAt = new Date();
    await this.tokens.save(token);
    await this.audit.record(actor, 'token.revoke', 'token', id, before, TokenView.of(token));
  }

  /** The principal a presented token stands for, or null if it is unknown or revoked. */
  async authenticate(presented: string): Promise<Principal | null> {
    const token = await this.tokens.findOne({ where: { tokenHash: hashSecret(presented), revokedAt: IsNull() } });
    if (!token) return null;
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      void this.tokens.update({ id: token.id }, { lastUsedAt: new Date() }).catch(() => undefined);
    }
    return { tokenId: token.id, name: token.name, role: token.role, lmsCourseIds: token.role === 'viewer' ? token.lmsCourseIds : null };
  }
}
