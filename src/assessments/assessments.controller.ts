import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../admin/auth/roles';
import { AddKeyDto, AssessmentView, CreateAssessmentDto, UpdateAssessmentDto } from './assessment.dto';
import { AssessmentsService } from './assessments.service';

@ApiTags('assessments')
@ApiBearerAuth()
@Controller('api/v1/assessments')
export class AssessmentsController {
  constructor(private readonly assessments: AssessmentsService) {}

  @Post()
  @RequireRole('admin')
  create(@Body() dto: CreateAssessmentDto): Promise<AssessmentView> {
    return this.assessments.create(dto);
  }

  @Get()
  @RequireRole('viewer')
  list(): Promise<AssessmentView[]> {
    return this.assessments.list();
  }

  @Get(':id')
  @RequireRole('viewer')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<AssessmentView> {
    return this.assessments.get(id);
  }

  @Patch(':id')
  @RequireRole('admin')
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateAssessmentDto): Promise<AssessmentView> {
    return this.assessments.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRole('admin')
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.assessments.remove(id);
  }

  @Post(':id/keys')
  @RequireRole('admin')
  addKey(@Param('id', ParseUUIDPipe) id: string, @Body() dto: AddKeyDto): Promise<AssessmentView> {
    return this.assessments.addKey(id, dto);
  }

  @Delete(':id/keys/:keyId')
  @RequireRole('admin')
  retireKey(@Param('id', ParseUUIDPipe) id: string, @Param('keyId', ParseUUIDPipe) keyId: string): Promise<AssessmentView> {
    return this.assessments.retireKey(id, keyId);
  }
}
