import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal, RequireRole } from '../auth/roles';
import { MeView } from './me.dto';

@ApiTags('tokens and audit')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ type: MeView })
  @ApiOperation({ summary: "The calling token's name, role and course limits" })
  me(@CurrentPrincipal() principal: Principal): MeView {
    return MeView.of(principal);
  }
}
