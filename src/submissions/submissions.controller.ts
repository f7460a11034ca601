import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../admin/auth/roles';
import { SubmissionView, SyncView } from './submission.dto';
import { SubmissionsService } from './submissions.service';

@ApiTags('submissions')
@ApiBearerAuth()
@Controller('api/v1')
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Get('submissions/:id')
  @RequireRole('viewer')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<SubmissionView> {
    return this.submissions.get(id);
  }

  @Get('syncs/:id')
  @RequireRole('viewer')
  getSync(@Param('id', ParseUUIDPipe) id: string): Promise<SyncView> {
    return this.submissions.getSync(id);
  }
}
