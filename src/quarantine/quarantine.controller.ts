import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { PageQueryDto } from '../submissions/list-query.dto';
import { QuarantinePage, QuarantineReplayView } from './quarantine.dto';
import { QuarantineService } from './quarantine.service';

@ApiTags('quarantine')
@ApiBearerAuth()
@Controller('api/v1/quarantine')
export class QuarantineController {
  constructor(private readonly quarantine: QuarantineService) {}

  @Get()
  @RequireRole('admin')
  @ApiOkResponse({ type: QuarantinePage, description: 'Callbacks refused for their body (400, 404, 415), newest first' })
  @ApiOperation({ summary: 'Callbacks refused for their body (400, 404, 415), newest first, without their key' })
  list(@Query() query: PageQueryDto): Promise<QuarantinePage> {
    return this.quarantine.list(query);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOkResponse({ type: QuarantineReplayView, description: 'Intake accepted it now: the submission (the row leaves the quarantine)' })
  @ApiBadRequestResponse({ description: 'Intake still refuses it; the message says why (the row stays)' })
  @ApiOperation({ summary: 'Run intake again on a quarantined callback' })
  replay(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<QuarantineReplayView> {
    return this.quarantine.replay(actor, id);
  }
}
