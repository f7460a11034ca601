import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { CallbackUrlDto, CallbackUrlView, ReplayDto, ReplayView } from './mapping-actions.dto';
import { MappingActionsService } from './mapping-actions.service';

@ApiTags('mappings')
@ApiBearerAuth()
@Controller('api/v1/mappings/:id')
export class MappingActionsController {
  constructor(private readonly actions: MappingActionsService) {}

  @Post('callback-url')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOkResponse({ type: CallbackUrlView })
  @ApiOperation({ summary: 'The callback URL to give Speechace for this mapping, signed for one LMS user when user is given' })
  callbackUrl(@Param('id', ParseUUIDPipe) id: string, @Body() dto: CallbackUrlDto): Promise<CallbackUrlView> {
    return this.actions.callbackUrl(id, dto);
  }

  @Post('replay')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOkResponse({ type: ReplayView })
  @ApiOperation({ summary: 'Grade stored submissions that matched no mapping when they arrived' })
  replay(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ReplayDto): Promise<ReplayView> {
    return this.actions.replay(actor, id, dto);
  }
}
