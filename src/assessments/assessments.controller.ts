import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
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
  create(@CurrentPrincipal() actor: Principal, @Body() dto: CreateAssessmentDto): Promise<AssessmentView> {
    return this.assessments.create(actor, dto);
  }

  @Get()
  @RequireRole('viewer')
  list(@CurrentPrincipal() principal: Principal): Promise<AssessmentView[]> {
    return this.assessments.list(principal);
  }

  @Get(':id')
  @RequireRole('viewer')
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<AssessmentView> {
    return this.assessments.getFor(principal, id);
  }

  @Patch(':id')
  @RequireRole('admin')
  update(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateAssessmentDto): Promise<AssessmentView> {
    return this.assessments.update(actor, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  remove(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.assessments.remove(actor, id);
  }

  @Post(':id/keys')
  @RequireRole('admin')
  addKey(@CurrentPrincipal() actor: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: AddKeyDto): Promise<AssessmentView> {
    return this.assessments.addKey(actor, id, dto);
  }

  @Delete(':id/keys/:keyId')
  @RequireRole('admin')
  retireKey(
    @CurrentPrincipal() actor: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('keyId', ParseUUIDPipe) keyId: string,
  ): Promise<AssessmentView> {
    return this.assessments.retireKey(actor, id, keyId);
  }
}
