import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { BulkRetryDto, BulkRetryResult, SyncListQueryDto } from './list-query.dto';
import { SyncPage, SyncSummaryView, SyncView } from './submission.dto';
import { SubmissionsService } from './submissions.service';
import { SyncRetryService } from './sync-retry.service';

@ApiTags('syncs')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token, or an unknown one' })
@Controller('api/v1/syncs')
export class SyncsController {
  constructor(
    private readonly reads: SubmissionsService,
    private readonly retries: SyncRetryService,
  ) {}

  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ type: SyncPage, description: 'Newest first; follow nextCursor for older ones' })
  @ApiBadRequestResponse({ description: 'A filter, limit or cursor is malformed (the message names it)' })
  @ApiForbiddenResponse({ description: 'lmsCourseId names a course this token may not see' })
  @ApiOperation({ summary: 'Syncs, newest first, filtered by state, mapping, assessment, submission, course, user, error or time' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: SyncListQueryDto): Promise<SyncPage> {
    return this.reads.listSyncs(principal, query);
  }

  @Get('summary')
  @RequireRole('viewer')
  @ApiOkResponse({ type: SyncSummaryView })
  @ApiOperation({ summary: 'Syncs by state and the age of the oldest one still waiting, of the courses this token may see' })
  summary(@CurrentPrincipal() principal: Principal): Promise<SyncSummaryView> {
    return this.reads.summarizeSyncs(principal);
  }

  @Post('retry')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Retry every sync matching the filter (default: all failed syncs)' })
  @ApiOkResponse({ type: BulkRetryResult })
  @ApiBadRequestResponse({ description: 'A filter is malformed, or state names a state that cannot be retried' })
  @ApiForbiddenResponse({ description: 'Not an admin token' })
  retryMatching(@CurrentPrincipal() actor: Principal, @Body() dto: BulkRetryDto): Promise<BulkRetryResult> {
    return this.retries.retryMatching(actor, dto);
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiOkResponse({ type: SyncView, description: 'The sync with every attempt and the LMS answers' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  @ApiForbiddenResponse({ description: 'The sync belongs to a course this token may not see' })
  @ApiNotFoundResponse()
  @ApiOperation({ summary: 'One sync with every attempt and the LMS answers' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SyncView> {
    return this.reads.getSync(principal, id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Put a failed, blocked or skipped sync back in the queue; SYNC_MAX_ATTEMPTS counts afresh' })
  @ApiOkResponse({ type: SyncView })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  @ApiForbiddenResponse({ description: 'Not an admin token' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The sync is synced, pending or queued' })
  retry(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SyncView> {
    return this.retries.retry(actor, id);
  }
}
