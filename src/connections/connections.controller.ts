import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { ConnectionView, CreateConnectionDto, UpdateConnectionDto } from './connection.dto';
import { ConnectionsService } from './connections.service';

@ApiTags('connections')
@ApiBearerAuth()
@Controller('api/v1/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Post()
  @RequireRole('admin')
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateConnectionDto): Promise<ConnectionView> {
    return this.connections.create(actor, dto);
  }

  @Get()
  @RequireRole('viewer')
  list(): Promise<ConnectionView[]> {
    return this.connections.list();
  }

  @Get(':id')
  @RequireRole('viewer')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ConnectionView> {
    return this.connections.get(id);
  }

  @Patch(':id')
  @RequireRole('admin')
  update(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateConnectionDto): Promise<ConnectionView> {
    return this.connections.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  remove(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.connections.remove(actor, id);
  }
}
