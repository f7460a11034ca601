import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { SYNC_STATES, SyncState } from '../sync/sync.entity';
import { IsPageCursor } from './page-cursor';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const MAX_ID = 2_147_483_647;
const ID_TEXT = /^[A-Za-z0-9._@+:-]{1,128}$/;

export const RETRYABLE_STATES = ['failed', 'blocked', 'skipped'] as const satisfies readonly SyncState[];
export type RetryableState = (typeof RETRYABLE_STATES)[number];

/** "failed,blocked", ["failed", "blocked"] (a repeated query parameter) → ["failed", "blocked"]. */
const toStateList = ({ value }: { value: unknown }): unknown => {
  if (value === undefined || value === null) return value;
  const parts = (Array.isArray(value) ? value : [value]) as unknown[];
  return parts.flatMap((p) => (typeof p === 'string' ? p.split(',') : [p])).map((p) => (typeof p === 'string' ? p.trim() : p)).filter((p) => p !== '');
};

/** A time-range bound: ISO 8601, inclusive for `from`, exclusive for `to`. */
const TimeBound = (name: 'from' | 'to', description: string) =>
  applyDecorators(
    ApiPropertyOptional({ description }),
    IsOptional(),
    IsISO8601({ strict: true }, { message: `${name} must be an ISO 8601 time such as 2025-03-01T00:00:00Z` }),
  );

const ErrorCodeFilter = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ description }),
    IsOptional(),
    IsString(),
    Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'errorCode must be 1-64 letters, digits or _ . -' }),
  );

const UuidFilter = (name: string) => applyDecorators(ApiPropertyOptional({ format: 'uuid' }), IsOptional(), IsUUID('all', { message: `${name} must be a UUID` }));

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Rows per page', default: DEFAULT_PAGE_SIZE, minimum: 1, maximum: MAX_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer from 1 to 500' })
  @Min(1, { message: 'limit must be an integer from 1 to 500' })
  @Max(MAX_PAGE_SIZE, { message: 'limit must be an integer from 1 to 500' })
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page (opaque); absent for the first page' })
  @IsOptional()
  @IsString()
  @IsPageCursor()
  cursor?: string;
}

/** Filters shared by the submission and sync lists. */
class CommonFilterDto extends PageQueryDto {
  @UuidFilter('assessmentId')
  assessmentId?: string;

  @ApiPropertyOptional({ description: 'Only rows of mappings in this LMS course', example: 2 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'lmsCourseId must be an LMS course id (an integer)' })
  @Min(1, { message: 'lmsCourseId must be an LMS course id (an integer)' })
  @Max(MAX_ID)
  lmsCourseId?: number;

  @ApiPropertyOptional({ description: 'The LMS user reference (query userid, else body userId)', example: '4' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user?: string;
}

export class SubmissionListQueryDto extends CommonFilterDto {
  @ApiPropertyOptional({ description: 'The Speechace quizId', example: '456' })
  @IsOptional()
  @IsString()
  @Matches(ID_TEXT, { message: 'quizId must be 1-128 letters, digits or . _ @ + : -' })
  quizId?: string;

  @TimeBound('from', 'Received at or after this ISO time')
  from?: string;

  @TimeBound('to', 'Received before this ISO time')
  to?: string;
}

export class SyncListQueryDto extends CommonFilterDto {
  @ApiPropertyOptional({ description: `One state or a comma-separated list: ${SYNC_STATES.join(', ')}`, example: 'failed,blocked', type: String })
  @IsOptional()
  @Transform(toStateList)
  @ArrayNotEmpty({ message: `state must name at least one of ${SYNC_STATES.join(', ')}` })
  @ArrayMaxSize(SYNC_STATES.length)
  @IsIn(SYNC_STATES, { each: true, message: `state must be one or more of ${SYNC_STATES.join(', ')} (comma-separated)` })
  state?: SyncState[];

  @UuidFilter('mappingId')
  mappingId?: string;

  @UuidFilter('submissionId')
  submissionId?: string;

  @ErrorCodeFilter('The error code of the latest attempt, e.g. accessexception, invalidtoken, score_out_of_scale')
  errorCode?: string;

  @TimeBound('from', 'Created at or after this ISO time')
  from?: string;

  @TimeBound('to', 'Created before this ISO time')
  to?: string;
}

/** Which syncs a bulk retry puts back in the queue; every field narrows, none is required. */
export class BulkRetryDto {
  @ApiPropertyOptional({
    description: 'One state, a comma-separated list or an array, of failed, blocked, skipped',
    default: 'failed',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', enum: [...RETRYABLE_STATES] } }],
  })
  @IsOptional()
  @Transform(toStateList)
  @ArrayNotEmpty({ message: `state must name at least one of ${RETRYABLE_STATES.join(', ')}` })
  @ArrayMaxSize(RETRYABLE_STATES.length)
  @IsIn(RETRYABLE_STATES, { each: true, message: `state must be one or more of ${RETRYABLE_STATES.join(', ')}: only finished syncs that did not reach Moodle can be retried` })
  state?: RetryableState[];

  @UuidFilter('mappingId')
  mappingId?: string;

  @UuidFilter('assessmentId')
  assessmentId?: string;

  @ApiPropertyOptional({ example: 2 })
  @IsOptional()
  @IsInt({ message: 'lmsCourseId must be an LMS course id (an integer)' })
  @Min(1, { message: 'lmsCourseId must be an LMS course id (an integer)' })
  @Max(MAX_ID)
  lmsCourseId?: number;

  @ApiPropertyOptional({ description: 'The LMS user reference' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  user?: string;

  @ErrorCodeFilter('The error code of the latest attempt, e.g. accessexception')
  errorCode?: string;

  @TimeBound('from', 'Syncs created at or after this ISO time')
  from?: string;

  @TimeBound('to', 'Syncs created before this ISO time')
  to?: string;
}

export class BulkRetryResult {
  @ApiProperty({ description: 'How many syncs were put back in the queue' }) requeued!: number;
}
