import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { baseUrlProblem } from '../lms/lms-base-url';
import { Optional } from '../common/validation/optional';
import { CONNECTION_KINDS, ConnectionEntity, ConnectionKind } from './connection.entity';

export class CreateConnectionDto {
  @ApiProperty({ example: 'Main Moodle' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: CONNECTION_KINDS, example: 'moodle' })
  @IsIn(CONNECTION_KINDS)
  kind!: ConnectionKind;

  @ApiProperty({
    example: 'https://moodle.example.edu',
    description: "Moodle's wwwroot (no /webservice path): http(s), no user name or password, no query, no fragment; a host in LMS_ALLOWED_HOSTS when that is set. Changing it (PATCH) needs the token in the same request",
  })
  @IsString()
  @IsLmsBaseUrl()
  @MaxLength(2000)
  baseUrl!: string;

  @ApiProperty({ description: 'Moodle web-service token; stored encrypted and never returned', writeOnly: true })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  token!: string;

  @ApiPropertyOptional({ description: 'Most LMS requests per second from all workers together (default LMS_RATE_LIMIT_PER_SECOND)', example: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  rateLimitPerSecond?: number;

  @ApiPropertyOptional({ description: 'Most LMS requests in flight at once from all workers together (default LMS_MAX_CONCURRENCY)', example: 4 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxConcurrency?: number;

  @ApiPropertyOptional({ default: true, description: 'false pauses every sync of its mappings (state paused) until it is true again' })
  @Optional()
  @IsBoolean()
  enabled?: boolean;
}

/** The shape rules of baseUrlProblem(); the allow-list is checked by the service, which has the config. */
function IsLmsBaseUrl() {
  return ValidateBy({
    name: 'isLmsBaseUrl',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && baseUrlProblem(value, []) === null,
      defaultMessage: (args) => (typeof args?.value === 'string' ? baseUrlProblem(args.value, []) : null) ?? 'baseUrl must be an http(s) URL such as https://moodle.example.edu',
    },
  });
}

/** Any field of a connection; null only where it means "the default" (the limits). */
export class UpdateConnectionDto extends PartialType(CreateConnectionDto, { skipNullProperties: false }) {}

export class ConnectionView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CONNECTION_KINDS }) kind!: ConnectionKind;
  @ApiProperty() baseUrl!: string;
  @ApiProperty({ description: 'A token is stored (it is never returned)' }) hasToken!: boolean;
  @ApiProperty({ nullable: true, type: Number }) rateLimitPerSecond!: number | null;
  @ApiProperty({ nullable: true, type: Number }) maxConcurrency!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;

  static of(c: ConnectionEntity): ConnectionView {
    return { id: c.id, name: c.name, kind: c.kind, baseUrl: c.baseUrl, hasToken: c.tokenEncrypted.length > 0, rateLimitPerSecond: c.rateLimitPerSecond, maxConcurrency: c.maxConcurrency, enabled: c.enabled, createdAt: c.createdAt, updatedAt: c.updatedAt };
  }
}
