import { LmsSessions } from '../lms/lms-sessions';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditService } from '../admin/audit/audit.service';
import { Principal } from '../admin/auth/roles';
import { MoodleSession, RECOMMENDED_FUNCTIONS, REQUIRED_FUNCTIONS } from '../lms/moodle/moodle.client';
import { LmsError } from '../lms/moodle/moodle-errors';
import { CapabilityFinding, probeCapabilities, reportFinding } from './capability-check';
import { MappingEntity } from '../mappings/mapping.entity';
import {
  describeLmsFailure,
  isTokenRefused,
  isTransportFailure,
  MappingTargetValidator,
  redactSecret,
  TargetInspection,
  TargetProblem,
} from '../mappings/mapping-target.validator';
import { blankCheckReport, CheckProblemView, ConnectionCheckView, MappingCheckView } from './connection-check.dto';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsService } from './connections.service';
import { AgsConnectionCheck } from './ags-connection.check';

/** POST /connections/:id/test: the site, the token, its functions, and every mapping's target, as Moodle sees them. */
@Injectable()
export class ConnectionCheckService {
  constructor(
    private readonly connections: ConnectionsService,
    @InjectRepository(MappingEntity) private readonly mappings: Repository<MappingEntity>,
    private readonly sessions: LmsSessions,
    private readonly targets: MappingTargetValidator,
    private readonly audit: AuditService,
    private readonly agsCheck: AgsConnectionCheck,
  ) {}

  async check(actor: Principal, id: string): Promise<ConnectionCheckView> {
    const connection = await this.connections.find(id);
    const mappings = await this.mappings.find({ where: { connectionId: id }, order: { createdAt: 'ASC' } });
    const report = connection.kind === 'lti-ags' ? await this.agsCheck.run(connection, mappings) : await this.openAndRun(connection, mappings);
    const summary = { ok: report.ok, reachable: report.reachable, tokenValid: report.tokenValid, problems: report.problems.map((p) => p.code) };
    await this.audit.record(actor, 'connection.test', 'connection', id, null, summary);
    return report;
  }

  /** A token that cannot be decrypted is a problem of the report (nothing is sent to Moodle), not an error. */
  private async openAndRun(connection: ConnectionEntity, mappings: MappingEntity[]): Promise<ConnectionCheckView> {
    let session: { lms: MoodleSession; token: string };
    try {
      session = this.sessions.open(connection);
    } catch (error) {
      if (!(error instanceof LmsError)) throw error;
      return {
        ...this.emptyReport(connection.id),
        problems: [{ code: error.code, message: error.message }],
        mappings: mappings.map((m) => notChecked(m, 'not checked: the stored token cannot be used (see problems)')),
      };
    }
    return redactSecret(await this.run(session.lms, connection.baseUrl, connection.id, mappings), session.token);
  }

  private emptyReport(connectionId: string): ConnectionCheckView {
    return blankCheckReport(connectionId, { required: [...REQUIRED_FUNCTIONS], missing: null, recommended: [...RECOMMENDED_FUNCTIONS], recommendedMissing: null });
  }

  private async run(lms: MoodleSession, baseUrl: string, connectionId: string, mappings: MappingEntity[]): Promise<ConnectionCheckView> {
    const report = this.emptyReport(connectionId);
    let allowed: Set<string>;
    try {
      const info = await lms.getSiteInfo();
      allowed = new Set((Array.isArray(info.functions) ? info.functions : []).map((f) => f.name));
      Object.assign(report, { reachable: true, tokenValid: true, siteName: info.sitename ?? null, release: info.release ?? null, username: info.username ?? null });
    } catch (error) {
      if (!(error instanceof LmsError)) throw error;
      report.reachable = !isTransportFailure(error);
      report.tokenValid = isTokenRefused(error) ? false : null;
      const problem = describeLmsFailure('core_webservice_get_site_info', error);
      if (!report.reachable) problem.message = `could not reach Moodle at ${baseUrl}: ${error.message}`;
      report.problems.push(problem);
      report.mappings = mappings.map((m) => notChecked(m, 'not checked: the site check failed (see problems)'));
      return report;
    }

    const missing = REQUIRED_FUNCTIONS.filter((f) => !allowed.has(f));
    report.functions.missing = missing;
    if (missing.length > 0) {
      report.problems.push({
        code: 'functions_missing',
        message: `the token may not call ${missing.join(', ')}: add ${missing.length === 1 ? 'it' : 'them'} to the token's external service (Site administration > Server > Web services > External services > Functions)`,
      });
    }
    const recommendedMissing = RECOMMENDED_FUNCTIONS.filter((f) => !allowed.has(f));
    report.functions.recommendedMissing = recommendedMissing;
    if (recommendedMissing.length > 0) {
      report.warnings.push({
        code: 'recommended_functions_missing',
        message:
          `the token may not call ${recommendedMissing.join(', ')} (recommended, not required): grades still sync, but each burst into an assignment ` +
          "also reads the course-wide grade report before writing. Add it to the token's external service (Site administration > Server > Web services > " +
          'External services > Functions); the worker uses it from its next try, at most 5 minutes after it was last refused',
      });
    }

    await this.checkCapabilities(lms, mappings, allowed, report);

    let stopped: string | null = null;
    for (const mapping of mappings) {
      if (stopped) {
        report.mappings.push(notChecked(mapping, stopped));
        continue;
      }
      const inspection = await this.targets.inspect(lms, mapping.lmsCourseId, mapping.target, allowed);
      report.mappings.push(mappingView(mapping, inspection));
      if (inspection.halted) stopped = `not checked: the check of mapping ${mapping.id} stopped because Moodle refused or did not answer`;
    }
    const refused = report.mappings.flatMap((m) => m.problems.flatMap((p) => p.capabilities ?? []));
    if (report.missingCapabilities !== null || refused.length > 0) {
      report.missingCapabilities = [...new Set([...(report.missingCapabilities ?? []), ...refused])];
    }
    report.ok = report.problems.length === 0 && report.mappings.every((m) => m.problems.length === 0);
    return report;
  }

  /** The read-only capability check in every mapped course (needs mod_assign_get_assignments). */
  private async checkCapabilities(lms: MoodleSession, mappings: MappingEntity[], allowed: ReadonlySet<string>, report: ConnectionCheckView): Promise<void> {
    if (mappings.length === 0 || !allowed.has('mod_assign_get_assignments')) return;
    let finding: CapabilityFinding;
    try {
      finding = await probeCapabilities(lms, mappings);
    } catch (error) {
      if (!(error instanceof LmsError)) throw error;
      report.warnings.push({ code: 'capabilities_not_checked', message: `the capabilities were not checked: ${describeLmsFailure('mod_assign_get_assignments', error, allowed).message}` });
      return;
    }
    const found = reportFinding(finding, new Set(mappings.map((m) => m.lmsCourseId)).size);
    report.missingCapabilities = found.missing;
    report.problems.push(...found.problems);
    report.warnings.push(...found.warnings);
  }
}

function problemView(p: Omit<TargetProblem, 'kind'>): CheckProblemView {
  return {
    code: p.code,
    message: p.message,
    ...(p.possibleCauses ? { possibleCauses: p.possibleCauses } : {}),
    ...(p.capabilities ? { capabilities: p.capabilities } : {}),
  };
}

function mappingView(m: MappingEntity, i: TargetInspection): MappingCheckView {
  return {
    mappingId: m.id,
    enabled: m.enabled,
    lmsCourseId: m.lmsCourseId,
    target: m.target,
    itemFound: i.itemFound,
    writable: i.writable,
    grademin: i.grademin,
    grademax: i.grademax,
    ...(m.target.type === 'assign' ? { feedbackCommentsEnabled: i.feedbackCommentsEnabled } : {}),
    problems: i.problems.filter((p) => p.kind !== 'caveat').map(problemView),
    warnings: i.problems.filter((p) => p.kind === 'caveat').map(problemView),
  };
}

function notChecked(m: MappingEntity, why: string): MappingCheckView {
  const none: TargetInspection = { halted: true, itemFound: null, writable: null, grademin: null, grademax: null, feedbackCommentsEnabled: null, problems: [] };
  return { ...mappingView(m, none), problems: [{ code: 'not_checked', message: why }] };
}
