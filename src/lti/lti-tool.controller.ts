import { Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { JwksView, ToolView } from './lti-tool.dto';
import { LtiToolKeys } from './lti-tool-keys.service';

@ApiTags('lti')
@ApiBearerAuth()
@Controller('api/v1/lti')
export class LtiToolController {
  constructor(private readonly keys: LtiToolKeys) {}

  @Get('tool')
  @RequireRole('admin')
  @ApiOkResponse({ type: ToolView })
  @ApiOperation({ summary: "What to register in an LTI 1.3 platform: the tool's public key (PEM), its JWKS URL and key id" })
  tool(): Promise<ToolView> {
    return this.keys.tool();
  }

  @Post('keys/rotate')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOkResponse({ type: ToolView })
  @ApiOperation({ summary: 'Adds a new key pair that signs from now on; the old keys stay in the JWKS until deleted' })
  rotate(@CurrentPrincipal() actor: Principal): Promise<ToolView> {
    return this.keys.rotate(actor);
  }

  @Delete('keys/:kid')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Deletes an old key: platforms can no longer verify assertions signed with it (the current key cannot be deleted: 409)' })
  remove(@CurrentPrincipal() actor: Principal, @Param('kid') kid: string): Promise<void> {
    return this.keys.remove(actor, kid);
  }
}

/** The JWKS platforms fetch to verify our client assertions: public, no token. */
@ApiTags('lti')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: LtiToolKeys) {}

  @Get('jwks.json')
  @Header('cache-control', 'public, max-age=300')
  @ApiOkResponse({ type: JwksView })
  @ApiOperation({ summary: "The tool's public keys (JWK set), for platforms that take a Keyset URL", security: [] })
  jwks(): Promise<JwksView> {
    return this.keys.jwks() as Promise<JwksView>;
  }
}
