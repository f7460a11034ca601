import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { Request, Response } from 'express';
import { CurrentPrincipal } from '../admin/auth/current-principal.decorator';
import { Principal, RequireRole } from '../admin/auth/roles';
import { CourseGradesQueryDto, CourseGradesView, CourseParamsDto } from './course-grades.dto';
import { GRADE_CSV_HEADER, gradesCsv } from './grades-csv';
import { GradesService } from './grades.service';

@ApiTags('course grades')
@ApiBearerAuth()
@ApiExtraModels(CourseGradesView)
@Controller('api/v1/courses')
export class GradesController {
  constructor(private readonly grades: GradesService) {}

  @Get(':lmsCourseId/grades')
  @RequireRole('viewer')
  @ApiOperation({ summary: 'Per student and mapping: the latest attempt, its sync, and the grade Moodle holds from us' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(CourseGradesView) } },
      'text/csv': { schema: { type: 'string', description: `Header row: ${GRADE_CSV_HEADER.join(',')}` } },
    },
  })
  @ApiBadRequestResponse({ description: 'lmsCourseId is not an integer, or format is not json or csv' })
  @ApiUnauthorizedResponse({ description: 'No bearer token, or an unknown one' })
  @ApiForbiddenResponse({ description: 'The token is limited to other LMS courses' })
  async forCourse(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CourseParamsDto,
    @Query() query: CourseGradesQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CourseGradesView | string> {
    const view = await this.grades.forCourse(principal, params.lmsCourseId);
    const csv = query.format ? query.format === 'csv' : req.accepts(['application/json', 'text/csv']) === 'text/csv';
    if (!csv) return view;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="course-${view.lmsCourseId}-grades.csv"`);
    return gradesCsv(view.rows);
  }
}
