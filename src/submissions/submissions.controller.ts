import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { SubmissionListQueryDto } from './list-query.dto';
import { SubmissionPage, SubmissionView } from './submission.dto';
import { SubmissionsService } from './submissions.service';

@ApiTags('submissions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'No bearer token, or an unknown one' })
@Controller('api/v1/submissions')
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ type: SubmissionPage, description: 'Newest first; follow nextCursor for older ones' })
  @ApiBadRequestResponse({ description: 'A filter, limit or cursor is malformed (the message names it)' })
  @ApiForbiddenResponse({ description: 'lmsCourseId names a course this token may not see' })
  @ApiOperation({ summary: 'Submissions, newest first, filtered by assessment, quiz, course, user or received time' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: SubmissionListQueryDto): Promise<SubmissionPage> {
    return this.submissions.listSubmissions(principal, query);
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiOkResponse({ type: SubmissionView })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  @ApiForbiddenResponse({ description: 'The submission has no sync in a course this token may see' })
  @ApiNotFoundResponse()
  @ApiOperation({ summary: 'A submission with its syncs and their states' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<SubmissionView> {
    return this.submissions.get(principal, id);
  }
}
