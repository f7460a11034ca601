import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { API_ROLES, ApiRole } from '../auth/roles';
import { ApiTokenEntity } from './api-token.entity';

export class CreateTokenDto {
  @ApiProperty({ example: 'Instructor dashboard, SPEECH101' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: API_ROLES, description: 'admin: everything; viewer: read-only' })
  @IsIn(API_ROLES)
  role!: ApiRole;

  @ApiPropertyOptional({ type: [Number], description: 'viewer only: limit the token to these LMS course ids' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(2_147_483_647, { each: true })
  lmsCourseIds?: number[];
}

export class TokenView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: API_ROLES }) role!: ApiRole;
  @ApiProperty({ type: [Number], nullable: true }) lmsCourseIds!: number[] | null;
  @ApiProperty() createdBy!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) lastUsedAt!: Date | null;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;

  static of(t: ApiTokenEntity): TokenView {
    return { id: t.id, name: t.name, role: t.role, lmsCourseIds: t.lmsCourseIds, createdBy: t.createdBy, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt };
  }
}

export class CreatedTokenView extends TokenView {
  @ApiProperty({ description: 'The token itself. Shown only in this answer; store it now.' }) token!: string;
}
