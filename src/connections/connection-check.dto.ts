import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TargetDto } from '../mappings/mapping.dto';
import { MappingTarget } from '../mappings/mapping.entity';

export class CheckProblemView {
  @ApiProperty({ example: 'accessexception', description: "Moodle's errorcode, or ours: lms_unreachable, functions_missing, course_not_found, item_not_found, item_locked, …" })
  code!: string;

  @ApiProperty({ description: 'What is wrong and what to do about it' })
  message!: string;

  @ApiPropertyOptional({ type: [String], description: 'When Moodle gives one answer for several causes (accessexception): each cause to check' })
  possibleCauses?: string[];

  @ApiPropertyOptional({ type: [String], description: "Capability ids the web-service user's role lacks, as Moodle's answer shows", example: ['moodle/course:enrolreview'] })
  capabilities?: string[];
}

export class CheckFunctionsView {
  @ApiProperty({ type: [String], description: 'Every web-service function this service calls' })
  required!: string[];

  @ApiProperty({ type: [String], nullable: true, description: 'Required functions the token may not call; null when Moodle did not say' })
  missing!: string[] | null;

  @ApiProperty({ type: [String], description: 'Functions worth adding, not needed (mod_assign_get_grades: cheaper bursts into assignments)', example: ['mod_assign_get_grades'] })
  recommended!: string[];

  @ApiProperty({ type: [String], nullable: true, description: 'Recommended functions the token may not call (a warning says what that costs); null when Moodle did not say' })
  recommendedMissing!: string[] | null;
}

export class MappingCheckView {
  @ApiProperty() mappingId!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() lmsCourseId!: number;
  @ApiProperty({ type: TargetDto }) target!: MappingTarget;

  @ApiProperty({ type: Boolean, nullable: true, description: 'The grade item exists and matches the target; null when it could not be checked' })
  itemFound!: boolean | null;

  @ApiProperty({ type: Boolean, nullable: true, description: 'The grade item is not locked' })
  writable!: boolean | null;

  @ApiProperty({ type: Number, nullable: true }) grademin!: number | null;
  @ApiProperty({ type: Number, nullable: true }) grademax!: number | null;

  @ApiPropertyOptional({ description: 'lineitem targets only: the line item label the platform shows' })
  label?: string;

  @ApiPropertyOptional({ type: Boolean, nullable: true, description: 'assign targets only: the feedback-comments plugin is on, so the feedback text is kept' })
  feedbackCommentsEnabled?: boolean | null;

  @ApiProperty({ type: [CheckProblemView], description: 'What stops grades of this mapping' }) problems!: CheckProblemView[];
  @ApiProperty({ type: [CheckProblemView], description: 'What grades land without (e.g. the feedback text): does not make the report fail' }) warnings!: CheckProblemView[];
}

export class CheckScopesView {
  @ApiProperty({ type: [String], description: 'Every AGS scope this service asks for' })
  required!: string[];

  @ApiProperty({ type: [String], nullable: true, description: 'What the platform granted; null when no token was issued' })
  granted!: string[] | null;

  @ApiProperty({ type: [String], nullable: true, description: 'Required scopes the platform did not grant; null when no token was issued' })
  missing!: string[] | null;
}

export class ConnectionCheckView {
  @ApiProperty() connectionId!: string;
  @ApiProperty() checkedAt!: Date;
  @ApiProperty({ description: 'No problem anywhere in this report' }) ok!: boolean;
  @ApiProperty({ description: 'Moodle answered as a Moodle web service (false: network error, timeout, HTTP error, not JSON)' }) reachable!: boolean;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Moodle accepted the token (lti-ags: the platform issued an access token); null when its answer does not tell' }) tokenValid!: boolean | null;
  @ApiProperty({ type: String, nullable: true }) siteName!: string | null;
  @ApiProperty({ type: String, nullable: true }) release!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The token's web-service user" }) username!: string | null;
  @ApiProperty({ type: CheckFunctionsView, description: 'moodle connections; empty for lti-ags' }) functions!: CheckFunctionsView;
  @ApiPropertyOptional({ type: CheckScopesView, description: 'lti-ags connections: the AGS scopes of the access token' }) scopes?: CheckScopesView;
  @ApiProperty({
    type: [String],
    nullable: true,
    description: "Capability ids the token user's role lacks (docs/moodle/grade-sync-role.xml has them all), from a read-only check in each mapped course and from Moodle's refusals; null when they could not be checked (no mapping, or the check could not run)",
    example: ['moodle/course:enrolreview'],
  })
  missingCapabilities!: string[] | null;
  @ApiProperty({ type: [CheckProblemView], description: 'Problems of the site and the token' }) problems!: CheckProblemView[];
  @ApiProperty({ type: [CheckProblemView], description: 'What does not stop grades now (e.g. a capability needed only for hidden courses): does not make the report fail' }) warnings!: CheckProblemView[];
  @ApiProperty({ type: [MappingCheckView], description: "Every mapping on this connection, checked against Moodle" }) mappings!: MappingCheckView[];
}

/** A report before anything was found: not reached, nothing listed; each kind of connection fills it in. */
export function blankCheckReport(connectionId: string, functions: CheckFunctionsView): ConnectionCheckView {
  return {
    connectionId,
    checkedAt: new Date(),
    ok: false,
    reachable: false,
    tokenValid: null,
    siteName: null,
    release: null,
    username: null,
    functions,
    missingCapabilities: null,
    problems: [],
    warnings: [],
    mappings: [],
  };
}
