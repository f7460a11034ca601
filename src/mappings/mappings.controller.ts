import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { CreateMappingDto, MappingView, UpdateMappingDto } from './mapping.dto';
import { MappingsService } from './mappings.service';

@ApiTags('mappings')
@ApiBearerAuth()
@Controller('api/v1/mappings')
export class MappingsController {
  constructor(private readonly mappings: MappingsService) {}

  @Post()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Map a Speechace test to a Moodle course and grade target' })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateMappingDto): Promise<MappingView> {
    return this.mappings.create(actor, dto);
  }

  @Get()
  @RequireRole('viewer')
  @ApiOperation({ summary: 'List course-to-test mappings' })
  list(@CurrentPrincipal() principal: Principal): Promise<MappingView[]> {
    return this.mappings.listFor(principal);
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'One course-to-test mapping' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<MappingView> {
    return this.mappings.getFor(principal, id);
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Change a mapping (enabled: false disables it)' })
  update(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateMappingDto): Promise<MappingView> {
    return this.mappings.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete a mapping' })
  remove(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.mappings.remove(actor, id);
  }
}
