import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { AppConfig } from '../../config/app-config';
import { hashSecret } from '../../common/crypto/secret-hash';
import { ApiRole, Principal, REQUIRED_ROLE } from './roles';

export type AuthenticatedRequest = Request & { principal?: Principal };

/** Guards every /api/v1 route: a bearer token is required, and its role must allow the route. */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly adminTokenHash: Buffer;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.adminTokenHash = Buffer.from(hashSecret(config.ADMIN_API_TOKEN), 'hex');
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<ApiRole | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (!required) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = this.authenticate(request.headers.authorization);
    if (required === 'admin' && principal.role !== 'admin') {
      throw new ForbiddenException(`This action needs an admin token; "${principal.name}" is a ${principal.role}`);
    }
    request.principal = principal;
    return true;
  }

  private authenticate(header: string | undefined): Principal {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new UnauthorizedException('Send "Authorization: Bearer <token>"');
    const presented = Buffer.from(hashSecret(match[1]!), 'hex');
    if (timingSafeEqual(presented, this.adminTokenHash)) {
      return { tokenId: null, name: 'bootstrap admin (ADMIN_API_TOKEN)', role: 'admin', lmsCourseIds: null };
    }
    throw new UnauthorizedException('Unknown or revoked API token');
  }
}
