import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { ConnectionCheckView } from './connection-check.dto';
import { ConnectionCheckService } from './connection-check.service';
import { ConnectionView, CreateConnectionDto, UpdateConnectionDto } from './connection.dto';
import { ConnectionsService } from './connections.service';
import { LineItemsQueryDto, LineItemView } from './line-items.dto';
import { LineItemsService } from './line-items.service';

@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/v1/connections')
export class ConnectionsController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly checks: ConnectionCheckService,
    private readonly lineItems: LineItemsService,
  ) {}

  @Post()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Add a Moodle site (the token is stored encrypted and never returned) or an LTI 1.3 platform (kind lti-ags)' })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateConnectionDto): Promise<ConnectionView> {
    return this.connections.create(actor, dto);
  }

  @Get()
  @RequireRole('viewer')
  @ApiOperation({ summary: 'List Moodle connections' })
  list(@CurrentPrincipal() principal: Principal): Promise<ConnectionView[]> {
    return this.connections.list(principal);
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'One Moodle connection' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<ConnectionView> {
    return this.connections.get(principal, id);
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Change a Moodle connection (a new baseUrl needs the token again)' })
  update(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateConnectionDto): Promise<ConnectionView> {
    return this.connections.update(actor, id, dto);
  }

  @Post(':id/test')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOkResponse({ type: ConnectionCheckView, description: 'What Moodle says about the site, the token, its functions and every mapping on this connection' })
  @ApiOperation({ summary: 'Check the site, the token, its functions and every mapping on the connection against Moodle' })
  test(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<ConnectionCheckView> {
    return this.checks.check(actor, id);
  }

  @Get(':id/lineitems')
  @RequireRole('admin')
  @ApiOkResponse({ type: [LineItemView] })
  @ApiOperation({ summary: 'lti-ags: the line items the platform lists for a course (Moodle: ?courseId=; any platform: ?containerUrl=), to pick a mapping target' })
  listLineItems(@Param('id', ParseUUIDPipe) id: string, @Query() query: LineItemsQueryDto): Promise<LineItemView[]> {
    return this.lineItems.list(id, query);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete a Moodle connection' })
  remove(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.connections.remove(actor, id);
  }
}
