import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { ltiUrlProblem } from '../lms/lti-ags/ags-urls';
import {
  ATTEMPT_POLICIES,
  AttemptPolicy,
  MappingEntity,
  MappingTarget,
  SCORE_FIELDS,
  ScoreField,
  TARGET_TYPES,
  TargetType,
  USER_MATCHES,
  UserMatch,
} from './mapping.entity';
import { Optional } from '../common/validation/optional';

const MAX_ID = 2_147_483_647;

export class TargetDto {
  @ApiProperty({ enum: TARGET_TYPES, description: 'assign → mod_assign_save_grades; activity → core_grades_update_grades (never for mod_assign); lineitem → LTI AGS scores (lti-ags connections only)' })
  @IsIn(TARGET_TYPES)
  type!: TargetType;

  @ApiPropertyOptional({ description: 'assign: the assignment instance id (not the cmid)', example: 1 })
  @ValidateIf((t: TargetDto) => t.type === 'assign' || t.assignmentId !== undefined)
  @IsInt({ message: 'assignmentId must be the assignment instance id (an integer)' })
  @Min(1)
  @Max(MAX_ID)
  assignmentId?: number;

  @ApiPropertyOptional({ description: 'assign and activity (required): the course-module id (cmid) of the activity', example: 2 })
  @ValidateIf((t: TargetDto) => t.type !== 'lineitem' || t.cmid !== undefined)
  @IsInt({ message: 'cmid must be the course-module id (an integer)' })
  @Min(1)
  @Max(MAX_ID)
  cmid?: number;

  @ApiPropertyOptional({
    description: "lineitem (required): the line item's URL as the platform gives it, query string included (Moodle: {wwwroot}/mod/lti/services.php/{courseid}/lineitems/{itemid}/lineitem?type_id={typeid})",
    example: 'https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1',
  })
  @ValidateIf((t: TargetDto) => t.type === 'lineitem' || t.lineItemUrl !== undefined)
  @IsString({ message: 'lineItemUrl must be the line item URL (a string)' })
  @MaxLength(2000, { message: 'lineItemUrl must be at most 2000 characters' })
  @ValidateBy({
    name: 'isLineItemUrl',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && ltiUrlProblem(value, []) === null,
      defaultMessage: (args) => `lineItemUrl ${(typeof args?.value === 'string' ? ltiUrlProblem(args.value, []) : null) ?? 'must be an http(s) URL'}`,
    },
  })
  lineItemUrl?: string;

  @ApiPropertyOptional({ description: 'activity: the module component, e.g. mod_lti', example: 'mod_lti' })
  @ValidateIf((t: TargetDto) => t.type === 'activity' || t.component !== undefined)
  @IsString()
  @Matches(/^mod_[a-z][a-z0-9_]*$/, { message: 'component must be an activity module such as mod_lti' })
  @NotEquals('mod_assign', {
    message:
      'component mod_assign is refused: Moodle replaces assignment grades written with core_grades_update_grades; use {"type":"assign","assignmentId","cmid"}',
  })
  component?: string;

  @ApiPropertyOptional({ description: 'activity: the grade item number (usually 0)', default: 0 })
  @ValidateIf((t: TargetDto) => t.itemNumber !== undefined)
  @IsInt()
  @Min(0)
  @Max(1000)
  itemNumber?: number;
}

export class SourceScaleDto {
  @ApiProperty({ example: 0 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1_000_000)
  @Max(1_000_000)
  min!: number;

  @ApiProperty({ example: 9 })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1_000_000)
  @Max(1_000_000)
  max!: number;
}

export class CreateMappingDto {
  @ApiProperty() @IsUUID() assessmentId!: string;

  @ApiPropertyOptional({ description: 'Only callbacks of this Speechace quizId (default: every quiz of the assessment)' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._@+:-]{1,128}$/, { message: 'speechaceQuizId must be 1-128 letters, digits or . _ @ + : -' })
  speechaceQuizId?: string;

  @ApiProperty() @IsUUID() connectionId!: string;

  @ApiProperty({ example: 2 })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  lmsCourseId!: number;

  @ApiProperty({ type: TargetDto })
  @IsObject({ message: 'target must be an object: {"type":"assign","assignmentId","cmid"}, {"type":"activity","component","cmid","itemNumber"} or {"type":"lineitem","lineItemUrl"}' })
  @ValidateNested()
  @Type(() => TargetDto)
  target!: TargetDto;

  @ApiProperty({ enum: USER_MATCHES, description: 'Which Moodle user field the callback user id is matched on' })
  @IsIn(USER_MATCHES)
  userMatch!: UserMatch;

  @ApiProperty({ enum: SCORE_FIELDS })
  @IsIn(SCORE_FIELDS)
  scoreField!: ScoreField;

  @ApiProperty({ type: SourceScaleDto })
  @IsObject({ message: 'sourceScale must be an object: {"min","max"}, the range of the Speechace score' })
  @ValidateNested()
  @Type(() => SourceScaleDto)
  sourceScale!: SourceScaleDto;

  @ApiPropertyOptional({ enum: ATTEMPT_POLICIES, default: 'latest' })
  @IsOptional()
  @IsIn(ATTEMPT_POLICIES)
  attemptPolicy?: AttemptPolicy;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Only callbacks through a URL signed for one user (POST /mappings/:id/callback-url with user) grade through this mapping' })
  @IsOptional()
  @IsBoolean()
  requireSignedUrl?: boolean;
}

export class UpdateMappingDto {
  @ApiPropertyOptional({ nullable: true, type: String, description: 'null: every quiz of the assessment' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._@+:-]{1,128}$/, { message: 'speechaceQuizId must be 1-128 letters, digits or . _ @ + : -, or null for every quiz' })
  speechaceQuizId?: string | null;

  @ApiPropertyOptional() @Optional() @IsInt() @Min(1) @Max(MAX_ID) lmsCourseId?: number;

  @ApiPropertyOptional({ type: TargetDto })
  @Optional()
  @IsObject({ message: 'target must be an object: {"type":"assign","assignmentId","cmid"}, {"type":"activity","component","cmid","itemNumber"} or {"type":"lineitem","lineItemUrl"}' })
  @ValidateNested()
  @Type(() => TargetDto)
  target?: TargetDto;

  @ApiPropertyOptional({ enum: USER_MATCHES }) @Optional() @IsIn(USER_MATCHES) userMatch?: UserMatch;
  @ApiPropertyOptional({ enum: SCORE_FIELDS }) @Optional() @IsIn(SCORE_FIELDS) scoreField?: ScoreField;

  @ApiPropertyOptional({ type: SourceScaleDto })
  @Optional()
  @IsObject({ message: 'sourceScale must be an object: {"min","max"}, the range of the Speechace score' })
  @ValidateNested()
  @Type(() => SourceScaleDto)
  sourceScale?: SourceScaleDto;

  @ApiPropertyOptional({ enum: ATTEMPT_POLICIES }) @Optional() @IsIn(ATTEMPT_POLICIES) attemptPolicy?: AttemptPolicy;
  @ApiPropertyOptional() @Optional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional() @Optional() @IsBoolean() requireSignedUrl?: boolean;
}

export class MappingView {
  @ApiProperty() id!: string;
  @ApiProperty() assessmentId!: string;
  @ApiProperty({ nullable: true, type: String }) speechaceQuizId!: string | null;
  @ApiProperty() connectionId!: string;
  @ApiProperty() lmsCourseId!: number;
  @ApiProperty({ type: TargetDto }) target!: MappingTarget;
  @ApiProperty({ enum: USER_MATCHES }) userMatch!: UserMatch;
  @ApiProperty({ enum: SCORE_FIELDS }) scoreField!: ScoreField;
  @ApiProperty({ type: SourceScaleDto }) sourceScale!: { min: number; max: number };
  @ApiProperty({ enum: ATTEMPT_POLICIES }) attemptPolicy!: AttemptPolicy;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() requireSignedUrl!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;
  @ApiPropertyOptional({ type: [String], description: 'On create/update: what could not be checked against Moodle, or works differently than expected' })
  warnings?: string[];

  static of(m: MappingEntity): MappingView {
    return {
      id: m.id,
      assessmentId: m.assessmentId,
      speechaceQuizId: m.speechaceQuizId,
      connectionId: m.connectionId,
      lmsCourseId: m.lmsCourseId,
      target: m.target,
      userMatch: m.userMatch,
      scoreField: m.scoreField,
      sourceScale: { min: m.sourceMin, max: m.sourceMax },
      attemptPolicy: m.attemptPolicy,
      enabled: m.enabled,
      requireSignedUrl: m.requireSignedUrl,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    };
  }
}

/** The stored form of a validated target: only the fields of its type. */
export function toMappingTarget(t: TargetDto): MappingTarget {
  switch (t.type) {
    case 'assign':
      return { type: 'assign', assignmentId: t.assignmentId!, cmid: t.cmid! };
    case 'activity':
      return { type: 'activity', component: t.component!, cmid: t.cmid!, itemNumber: t.itemNumber ?? 0 };
    case 'lineitem':
      return { type: 'lineitem', lineItemUrl: t.lineItemUrl! };
  }
}

/** The course-module id intake filters on (`testid`); a line item has none. */
export function cmidOf(target: MappingTarget): number {
  return target.type === 'lineitem' ? 0 : target.cmid;
}
