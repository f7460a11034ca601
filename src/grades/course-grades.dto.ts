import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { TargetDto } from '../mappings/mapping.dto';
import { MappingTarget, SCORE_FIELDS, ScoreField } from '../mappings/mapping.entity';
import { SubmissionScores } from '../submissions/submission.entity';
import { SYNC_STATES, SyncState } from '../sync/sync.entity';

export const GRADE_FORMATS = ['json', 'csv'] as const;
export type GradeFormat = (typeof GRADE_FORMATS)[number];

export class CourseParamsDto {
  @ApiProperty({ description: 'The LMS course id', example: 2 })
  @Type(() => Number)
  @IsInt({ message: 'lmsCourseId must be an LMS course id (an integer)' })
  @Min(1, { message: 'lmsCourseId must be an LMS course id (an integer)' })
  @Max(2_147_483_647)
  lmsCourseId!: number;
}

export class CourseGradesQueryDto {
  @ApiPropertyOptional({ enum: GRADE_FORMATS, description: 'csv: the same rows as a CSV download (also chosen by Accept: text/csv)' })
  @IsOptional()
  @IsIn(GRADE_FORMATS, { message: `format must be one of ${GRADE_FORMATS.join(', ')}` })
  format?: GradeFormat;
}

export class ScoresView {
  @ApiProperty() overall!: number;
  @ApiPropertyOptional() pronunciation?: number;
  @ApiPropertyOptional() fluency?: number;
  @ApiPropertyOptional() vocab?: number;
  @ApiPropertyOptional() grammar?: number;
}

/** One student at one mapping: their latest attempt, and the grade Moodle holds from us. */
export class CourseGradeRow {
  @ApiProperty() mappingId!: string;
  @ApiProperty({ type: TargetDto }) target!: MappingTarget;
  @ApiProperty({ enum: SCORE_FIELDS }) scoreField!: ScoreField;
  @ApiProperty({ description: 'The LMS user reference the callbacks carried' }) userRef!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'The Moodle user id, once resolved' }) lmsUserId!: number | null;
  @ApiProperty({ description: 'The latest submission of this student for this mapping' }) submissionId!: string;
  @ApiProperty({ type: ScoresView }) scores!: SubmissionScores;
  @ApiProperty() receivedAt!: Date;
  @ApiProperty({ description: 'The sync of the latest submission' }) syncId!: string;
  @ApiProperty({ enum: SYNC_STATES }) syncState!: SyncState;
  @ApiProperty({ nullable: true, type: String }) syncReason!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The grade of the latest synced sync: what Moodle holds from us' }) syncedGrade!: number | null;
  @ApiProperty({ nullable: true, type: Date }) syncedAt!: Date | null;
}

export class CourseGradesView {
  @ApiProperty() lmsCourseId!: number;
  @ApiProperty({ type: [CourseGradeRow] }) rows!: CourseGradeRow[];
}
