import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Matches } from 'class-validator';

export class CallbackUrlDto {
  @ApiPropertyOptional({ description: "Sign the URL for this LMS user: the value the mapping's userMatch matches (a Moodle id, idnumber, username or email)" })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._@+:-]{1,128}$/, { message: 'user must be 1-128 letters, digits or . _ @ + : -' })
  user?: string;
}

export class CallbackUrlView {
  @ApiProperty({ description: 'Give this to Speechace as app_score_submission_url' }) url!: string;
  @ApiProperty() signed!: boolean;
}

export class ReplayDto {
  @ApiPropertyOptional({ description: 'Only submissions received at or after this time' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ description: 'Only submissions received before this time' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class ReplayView {
  @ApiProperty({ description: 'Syncs created for stored submissions that had no mapping when they arrived' }) created!: number;
  @ApiProperty({ description: 'How many of them are already in the queue' }) queued!: number;
}
