import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service';
import { MeController } from './me/me.controller';
import { TokensController } from './tokens/tokens.controller';
import { TokensService } from './tokens/tokens.service';

/** Tokens, roles and the audit log; global so every admin-facing service can audit its changes. */
@Global()
@Module({ controllers: [TokensController, MeController], providers: [TokensService, AuditService], exports: [TokensService, AuditService] })
export class AdminModule {}
