import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateBy, ValidateIf } from 'class-validator';
import { ltiUrlProblem } from '../lms/lti-ags/ags-urls';
import { baseUrlProblem } from '../lms/lms-base-url';
import { Optional } from '../common/validation/optional';
import { CONNECTION_KINDS, ConnectionEntity, ConnectionKind } from './connection.entity';

export class CreateConnectionDto {
  @ApiProperty({ example: 'Main Moodle' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ enum: CONNECTION_KINDS, default: 'moodle', example: 'moodle', description: 'moodle: web services with a token; lti-ags: an LTI 1.3 platform through Assignment and Grade Services. Cannot change later' })
  @IsOptional()
  @IsIn(CONNECTION_KINDS)
  kind?: ConnectionKind;

  @ApiPropertyOptional({
    example: 'https://moodle.example.edu',
    description: "moodle (required): Moodle's wwwroot (no /webservice path): http(s), no user name or password, no query, no fragment; a host in LMS_ALLOWED_HOSTS when that is set. Changing it (PATCH) needs the token in the same request",
  })
  @ValidateIf(isMoodle)
  @IsString()
  @IsLmsBaseUrl()
  @MaxLength(2000)
  baseUrl?: string;

  @ApiPropertyOptional({ description: 'moodle (required): the web-service token; stored encrypted and never returned', writeOnly: true })
  @ValidateIf(isMoodle)
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  token?: string;

  @ApiPropertyOptional({ example: 'https://moodle.example.edu', description: "lti-ags (required): the platform's issuer (Moodle: its wwwroot)" })
  @ValidateIf(isLti('issuer'))
  @IsString()
  @IsLtiUrl()
  @MaxLength(2000)
  issuer?: string;

  @ApiPropertyOptional({ example: 'kP2Xw0FmYb9d1Qe', description: 'lti-ags (required): the client id the platform shows for the tool' })
  @ValidateIf(isLti('clientId'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  clientId?: string;

  @ApiPropertyOptional({ example: '3', description: 'lti-ags (required): the deployment id the platform shows (Moodle: the tool type id)' })
  @ValidateIf(isLti('deploymentId'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  deploymentId?: string;

  @ApiPropertyOptional({ example: 'https://moodle.example.edu/mod/lti/token.php', description: "lti-ags (required): the platform's access token URL; its host must be in LMS_ALLOWED_HOSTS when that is set" })
  @ValidateIf(isLti('tokenUrl'))
  @IsString()
  @IsLtiUrl()
  @MaxLength(2000)
  tokenUrl?: string;

  @ApiPropertyOptional({ example: 'https://moodle.example.edu/mod/lti/token.php', description: "lti-ags: the client assertion's aud (default: tokenUrl)" })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  audience?: string;

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

/** baseUrl and token are validated unless the connection is lti-ags (moodle is the default kind), and whenever given. */
function isMoodle(o: { kind?: unknown }, value: unknown): boolean {
  return o.kind !== 'lti-ags' || value !== undefined;
}

/** An lti-ags field is validated for an lti-ags connection, and whenever given. */
function isLti(field: string) {
  return (o: Record<string, unknown>) => o.kind === 'lti-ags' || o[field] !== undefined;
}

function IsLtiUrl() {
  return ValidateBy({
    name: 'isLtiUrl',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && ltiUrlProblem(value, []) === null,
      defaultMessage: (args) => `${args?.property ?? 'url'}: ${(typeof args?.value === 'string' ? ltiUrlProblem(args.value, []) : null) ?? 'must be an http(s) URL'}`,
    },
  });
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
  @ApiProperty({ description: "moodle: the wwwroot; lti-ags: the platform's issuer" }) baseUrl!: string;
  @ApiProperty({ description: 'moodle: a token is stored (it is never returned); lti-ags: always false (tokens are asked for with the tool key)' }) hasToken!: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'lti-ags only' }) issuer?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'lti-ags only' }) clientId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'lti-ags only' }) deploymentId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'lti-ags only' }) tokenUrl?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'lti-ags only: the assertion audience' }) audience?: string | null;
  @ApiProperty({ nullable: true, type: Number }) rateLimitPerSecond!: number | null;
  @ApiProperty({ nullable: true, type: Number }) maxConcurrency!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;

  static of(c: ConnectionEntity): ConnectionView {
    const lti = c.kind === 'lti-ags' ? { issuer: c.ltiIssuer, clientId: c.ltiClientId, deploymentId: c.ltiDeploymentId, tokenUrl: c.ltiTokenUrl, audience: c.ltiAudience ?? c.ltiTokenUrl } : {};
    return { id: c.id, name: c.name, kind: c.kind, baseUrl: c.baseUrl, hasToken: c.tokenEncrypted.length > 0, ...lti, rateLimitPerSecond: c.rateLimitPerSecond, maxConcurrency: c.maxConcurrency, enabled: c.enabled, createdAt: c.createdAt, updatedAt: c.updatedAt };
  }
}
