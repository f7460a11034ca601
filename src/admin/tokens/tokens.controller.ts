import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
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
  @ApiOperation({ summary: 'Create an API token (admin or viewer, optionally limited to LMS courses); the token is shown once' })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateTokenDto): Promise<CreatedTokenView> {
    return this.tokens.create(actor, dto);
  }

  @Get('tokens')
  @RequireRole('admin')
  @ApiOperation({ summary: 'List API tokens (never the tokens themselves)' })
  list(): Promise<TokenView[]> {
    return this.tokens.list();
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Revoke an API token' })
  revoke(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.tokens.revoke(actor, id);
  }

  @Get('audit')
  @RequireRole('admin')
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'before', required: false, description: 'ISO time: entries older than this (the last `at` of the previous page)' })
  @ApiOperation({ summary: 'Audit log: who changed what, when, before and after (never secrets), newest first' })
  auditLog(@Query() query: AuditQueryDto): Promise<AuditEntryEntity[]> {
    return this.audit.list(query.limit ?? 50, query.before ? new Date(query.before) : undefined);
  }
}
