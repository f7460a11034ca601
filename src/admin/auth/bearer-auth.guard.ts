import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { hashSecret } from '../../common/crypto/secret-hash';
import { AppConfig } from '../../config/app-config';
import { TokensService } from '../tokens/tokens.service';
import { ApiRole, Principal, REQUIRED_ROLE } from './roles';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** Guards every /api/v1 route: a bearer token is required (401), and its role must allow the route (403). */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly adminTokenHash: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    config: AppConfig,
  ) {
    this.adminTokenHash = Buffer.from(hashSecret(config.ADMIN_API_TOKEN), 'hex');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<ApiRole | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (!required) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticate(request.headers.authorization);
    if (required === 'admin' && principal.role !== 'admin') {
      throw new ForbiddenException(`This action needs an admin token; "${principal.name}" is a ${principal.role} token`);
    }
    request.principal = principal;
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header ?? '');
    if (!match) throw new UnauthorizedException('Send "Authorization: Bearer <token>"');
    const presented = match[1]!;
    if (timingSafeEqual(Buffer.from(hashSecret(presented), 'hex'), this.adminTokenHash)) {
      return { tokenId: null, name: 'bootstrap admin (ADMIN_API_TOKEN)', role: 'admin', lmsCourseIds: null };
    }
    const principal = await this.tokens.authenticate(presented);
    if (!principal) throw new UnauthorizedException('Unknown or revoked API token');
    return principal;
  }
}
