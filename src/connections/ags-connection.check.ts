import { Injectable } from '@nestjs/common';
import { AgsClient, AgsSession } from '../lms/lti-ags/ags.client';
import { REQUIRED_AGS_SCOPES } from '../lms/lti-ags/ags.types';
import { LineItemChecker } from '../lms/lti-ags/line-item.checker';
import { LmsError } from '../lms/moodle/moodle-errors';
import { MappingEntity } from '../mappings/mapping.entity';
import { blankCheckReport, CheckProblemView, ConnectionCheckView, MappingCheckView } from './connection-check.dto';
import { ConnectionEntity } from './connection.entity';

/** Codes of a failure to reach the platform at all (as opposed to a refusal). */
const TRANSPORT = /^(network|timeout|invalid_response|url_refused|answer_too_large|http_5\d\d|http_429)$/;

/** POST /connections/:id/test for an lti-ags connection: a token (and its scopes), then every mapped line item. */
@Injectable()
export class AgsConnectionCheck {
  constructor(
    private readonly ags: AgsClient,
    private readonly lineItems: LineItemChecker,
  ) {}

  async run(connection: ConnectionEntity, mappings: MappingEntity[]): Promise<ConnectionCheckView> {
    const report: ConnectionCheckView = {
      ...blankCheckReport(connection.id, { required: [], missing: null, recommended: [], recommendedMissing: null }),
      scopes: { required: [...REQUIRED_AGS_SCOPES], granted: null, missing: null },
    };
    const session = this.ags.session(connection);
    try {
      const token = await session.accessToken();
      const missing = REQUIRED_AGS_SCOPES.filter((s) => !token.scopes.includes(s));
      Object.assign(report, { reachable: true, tokenValid: true, scopes: { required: [...REQUIRED_AGS_SCOPES], granted: token.scopes, missing } });
      if (missing.length > 0) {
        report.problems.push({
          code: 'scope_missing',
          message: `the platform did not grant ${missing.join(', ')}: turn on the grade services for the tool (Moodle: "IMS LTI Assignment and Grade Services: Use this service for grade sync and column management")`,
        });
      }
    } catch (error) {
      if (!(error instanceof LmsError)) throw error;
      report.reachable = !TRANSPORT.test(error.code);
      report.tokenValid = error.code === 'lti_token_refused' ? false : null;
      report.problems.push({ code: error.code, message: `no access token from ${connection.ltiTokenUrl ?? 'the platform'}: ${error.message}` });
      report.mappings = mappings.map((m) => mappingView(m, { problems: [{ code: 'not_checked', message: 'not checked: no access token (see problems)' }] }));
      return report;
    }
    for (const mapping of mappings) report.mappings.push(await this.checkMapping(session, connection, mapping));
    report.ok = report.problems.length === 0 && report.mappings.every((m) => m.problems.length === 0);
    return report;
  }

  private async checkMapping(session: AgsSession, connection: ConnectionEntity, mapping: MappingEntity): Promise<MappingCheckView> {
    if (mapping.target.type !== 'lineitem') {
      return mappingView(mapping, { problems: [{ code: 'target_mismatch', message: `an lti-ags connection grades line items, not ${mapping.target.type} targets: change the mapping's target` }] });
    }
    const checked = await this.lineItems.check(connection, mapping.target.lineItemUrl, session);
    if (checked.found) {
      return mappingView(mapping, { itemFound: true, grademin: 0, grademax: checked.item.scoreMaximum, label: checked.item.label, problems: [] });
    }
    return mappingView(mapping, { itemFound: checked.refused ? false : null, problems: [{ code: checked.problem.code, message: checked.problem.message }] });
  }
}

function mappingView(m: MappingEntity, found: { itemFound?: boolean | null; grademin?: number; grademax?: number; label?: string; problems: CheckProblemView[] }): MappingCheckView {
  return {
    mappingId: m.id,
    enabled: m.enabled,
    lmsCourseId: m.lmsCourseId,
    target: m.target,
    itemFound: found.itemFound ?? null,
    writable: null,
    grademin: found.grademin ?? null,
    grademax: found.grademax ?? null,
    ...(found.label !== undefined ? { label: found.label } : {}),
    problems: found.problems,
    warnings: [],
  };
}
