import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditEntryEntity } from '../audit/audit-entry.entity';
import { AuditService } from '../audit/audit.service';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal, RequireRole } from '../auth/roles';
import { AuditQueryDto } from './audit-query.dto';
import { CreatedTokenView, CreateTokenDto, TokenView } from './token.dto';
import { TokensService } from './tokens.service';

@ApiTags('tokens and audit')
@ApiBearerAuth()
@Controller('api/v1')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
  ) {}

  @Post('tokens')
  @RequireRole('admin')
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateTokenDto): Promise<CreatedTokenView> {
    return this.tokens.create(actor, dto);
  }

  @Get('tokens')
  @RequireRole('admin')
  list(): Promise<TokenView[]> {
    return this.tokens.list();
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  @RequireRole('admin')
  revoke(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.tokens.revoke(actor, id);
  }

  @Get('audit')
  @RequireRole('admin')
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'before', required: false, description: 'ISO time: entries older than this (the last `at` of the previous page)' })
  auditLog(@Query() query: AuditQueryDto): Promise<AuditEntryEntity[]> {
    return this.audit.list(query.limit ?? 50, query.before ? new Date(query.before) : undefined);
  }
}
