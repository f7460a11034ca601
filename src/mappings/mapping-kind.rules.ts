import { BadRequestException } from '@nestjs/common';
import { ConnectionKind } from '../connections/connection.entity';
import { MappingTarget, UserMatch } from './mapping.entity';

/**
 * Which targets and user matches a connection kind can grade: Moodle web-service targets on a
 * moodle connection, a line item on an lti-ags one, whose scores name users by the platform's user
 * id only (AGS has no lookup by e-mail, username or idnumber).
 */
export function assertMappingFitsKind(kind: ConnectionKind, target: MappingTarget, userMatch: UserMatch): void {
  if (kind === 'lti-ags' && target.type !== 'lineitem') {
    throw new BadRequestException(`target.type: an lti-ags connection grades LTI line items: give {"type":"lineitem","lineItemUrl"}, not a ${target.type} target`);
  }
  if (kind === 'moodle' && target.type === 'lineitem') {
    throw new BadRequestException('target.type: a lineitem target needs an lti-ags connection; a moodle connection grades {"type":"assign"} or {"type":"activity"} targets');
  }
  if (kind === 'lti-ags' && userMatch !== 'id') {
    throw new BadRequestException(`userMatch: an lti-ags connection matches users on "id" (the platform's user id, the launch sub; in Moodle the user id), not "${userMatch}": AGS cannot look users up by ${userMatch}`);
  }
}
