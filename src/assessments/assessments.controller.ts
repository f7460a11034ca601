import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { AddKeyDto, AssessmentView, CreateAssessmentDto, UpdateAssessmentDto } from './assessment.dto';
import { AssessmentsService } from './assessments.service';

@ApiTags('assessments')
@ApiBearerAuth()
@Controller('api/v1/assessments')
export class AssessmentsController {
  constructor(private readonly assessments: AssessmentsService) {}

  @Post()
  @RequireRole('admin')
  @ApiOperation({ summary: 'Add a Speechace assessment; its key is stored as a hash and never returned' })
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateAssessmentDto): Promise<AssessmentView> {
    return this.assessments.create(actor, dto);
  }

  @Get()
  @RequireRole('viewer')
  @ApiOperation({ summary: 'List Speechace assessments' })
  list(@CurrentPrincipal() principal: Principal): Promise<AssessmentView[]> {
    return this.assessments.list(principal);
  }

  @Get(':id')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'One Speechace assessment' })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<AssessmentView> {
    return this.assessments.getFor(principal, id);
  }

  @Patch(':id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Change a Speechace assessment' })
  update(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateAssessmentDto): Promise<AssessmentView> {
    return this.assessments.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Delete a Speechace assessment' })
  remove(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.assessments.remove(actor, id);
  }

  @Post(':id/keys')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Add a callback key (key rotation: add the new key, then retire the old one)' })
  addKey(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: AddKeyDto): Promise<AssessmentView> {
    return this.assessments.addKey(actor, id, dto);
  }

  @Delete(':id/keys/:keyId')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Retire a callback key' })
  retireKey(
    @CurrentPrincipal() actor: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('keyId', ParseUUIDPipe) keyId: string,
  ): Promise<AssessmentView> {
    return this.assessments.retireKey(actor, id, keyId);
  }
}
