import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { allowedCourses } from '../admin/auth/course-scope';
import { AuditService } from '../admin/audit/audit.service';
import { Principal } from '../admin/auth/roles';
import { CredentialCipher } from '../common/crypto/credential-cipher';
import { AppConfig } from '../config/app-config';
import { baseUrlProblem, normalizeBaseUrl, parseAllowedHosts } from '../lms/lms-base-url';
import { MappingEntity } from '../mappings/mapping.entity';
import { SyncPauses } from '../sync/sync-pauses';
import { CreateConnectionDto, ConnectionView, UpdateConnectionDto } from './connection.dto';
import { ConnectionEntity, ConnectionKind } from './connection.entity';
import { ltiUrlProblem } from '../lms/lti-ags/ags-urls';

type LtiFields = { issuer: string; clientId: string; deploymentId: string; tokenUrl: string; audience?: string };
const MOODLE_FIELDS = ['baseUrl', 'token'] as const;
const LTI_FIELDS = ['issuer', 'clientId', 'deploymentId', 'tokenUrl', 'audience'] as const;

/** A field of the other kind is refused by name: it would be silently ignored otherwise. */
function assertFieldsOfKind(kind: ConnectionKind, dto: UpdateConnectionDto): void {
  const foreign = kind === 'lti-ags' ? MOODLE_FIELDS : LTI_FIELDS;
  const given = foreign.filter((f) => dto[f] !== undefined && dto[f] !== null);
  if (given.length > 0) throw new BadRequestException(`${given.join(', ')}: not used by a ${kind} connection`);
}

/** The lti-ags fields a PATCH gives (null/undefined leave the stored value; audience null goes back to the token URL). */
function definedOf(dto: UpdateConnectionDto): Partial<LtiFields> {
  const out: Partial<LtiFields> = {};
  for (const f of LTI_FIELDS) if (typeof dto[f] === 'string') out[f] = dto[f];
  return out;
}

@Injectable()
export class ConnectionsService {
  constructor(
    @InjectRepository(ConnectionEntity) private readonly connections: Repository<ConnectionEntity>,
    @InjectRepository(MappingEntity) private readonly mappings: Repository<MappingEntity>,
    private readonly cipher: CredentialCipher,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly pauses: SyncPauses,
  ) {}

  async create(actor: Principal, dto: CreateConnectionDto): Promise<ConnectionView> {
    const kind = dto.kind ?? 'moodle';
    assertFieldsOfKind(kind, dto);
    const site =
      kind === 'lti-ags'
        ? { baseUrl: dto.issuer!, tokenEncrypted: '', ...this.checkedLti(dto as LtiFields) }
        : { baseUrl: this.checkedBaseUrl(dto.baseUrl!), tokenEncrypted: this.cipher.encrypt(dto.token!) };
    const saved = await this.connections.save(
      this.connections.create({ name: dto.name, kind, ...site, rateLimitPerSecond: dto.rateLimitPerSecond ?? null, maxConcurrency: dto.maxConcurrency ?? null, enabled: dto.enabled ?? true }),
    );
    const view = ConnectionView.of(saved);
    await this.audit.record(actor, 'connection.create', 'connection', saved.id, null, view);
    return view;
  }

  /** A viewer limited to some LMS courses sees only the connections its courses' mappings use. */
  async list(principal: Principal): Promise<ConnectionView[]> {
    const visible = await this.visibleIds(principal);
    const found = await this.connections.find({ where: visible ? { id: In(visible) } : {}, order: { createdAt: 'ASC' } });
    return found.map(ConnectionView.of);
  }

  async get(principal: Principal, id: string): Promise<ConnectionView> {
    const connection = await this.find(id);
    const visible = await this.visibleIds(principal);
    if (visible && !visible.includes(id)) {
      throw new ForbiddenException(`This token may not see connection ${id}: no mapping in LMS course(s) ${principal.lmsCourseIds!.join(', ')} uses it`);
    }
    return ConnectionView.of(connection);
  }

  /** null: every connection. */
  private async visibleIds(principal: Principal): Promise<string[] | null> {
    const courses = allowedCourses(principal);
    if (!courses) return null;
    const used = await this.mappings.find({ select: { connectionId: true }, where: { lmsCourseId: In(courses) } });
    return [...new Set(used.map((m) => m.connectionId))];
  }

  async find(id: string): Promise<ConnectionEntity> {
    const found = await this.connections.findOne({ where: { id } });
    if (!found) throw new NotFoundException(`Connection ${id} not found`);
    return found;
  }

  async update(actor: Principal, id: string, dto: UpdateConnectionDto): Promise<ConnectionView> {
    const connection = await this.find(id);
    const before = ConnectionView.of(connection);
    if (dto.name !== undefined) connection.name = dto.name;
    if (dto.kind !== undefined && dto.kind !== connection.kind) {
      throw new BadRequestException(`kind: a ${connection.kind} connection cannot become ${dto.kind}; create a new connection`);
    }
    assertFieldsOfKind(connection.kind, dto);
    if (connection.kind === 'lti-ags') {
      Object.assign(connection, this.checkedLti({ issuer: connection.ltiIssuer!, clientId: connection.ltiClientId!, deploymentId: connection.ltiDeploymentId!, tokenUrl: connection.ltiTokenUrl!, audience: connection.ltiAudience ?? undefined, ...definedOf(dto) }, dto.tokenUrl !== undefined));
      if (dto.audience === null) connection.ltiAudience = null;
      connection.baseUrl = connection.ltiIssuer!;
    }
    if (dto.baseUrl !== undefined) {
      const baseUrl = this.checkedBaseUrl(dto.baseUrl);
      // The stored token was given for the old site: it never goes to another one unless given again.
      if (baseUrl !== connection.baseUrl && dto.token === undefined) {
        throw new BadRequestException(`token: changing baseUrl (from ${connection.baseUrl} to ${baseUrl}) needs the token for the new address in the same request`);
      }
      connection.baseUrl = baseUrl;
    }
    if (dto.token !== undefined) connection.tokenEncrypted = this.cipher.encrypt(dto.token);
    if (dto.rateLimitPerSecond !== undefined) connection.rateLimitPerSecond = dto.rateLimitPerSecond;
    if (dto.maxConcurrency !== undefined) connection.maxConcurrency = dto.maxConcurrency;
    if (dto.enabled !== undefined) connection.enabled = dto.enabled;
    const after = ConnectionView.of(await this.connections.save(connection));
    if (before.enabled !== after.enabled) await this.pauses.connectionChanged(id, after.enabled);
    await this.audit.record(actor, dto.token !== undefined ? 'connection.update (token replaced)' : 'connection.update', 'connection', id, before, after);
    return after;
  }

  /** The stored lti-ags fields; the token URL obeys the outbound rules (LMS_ALLOWED_HOSTS) like a Moodle baseUrl. */
  private checkedLti(dto: LtiFields, tokenUrlGiven = true): Pick<ConnectionEntity, 'ltiIssuer' | 'ltiClientId' | 'ltiDeploymentId' | 'ltiTokenUrl' | 'ltiAudience'> {
    const problem = tokenUrlGiven ? ltiUrlProblem(dto.tokenUrl, parseAllowedHosts(this.config.LMS_ALLOWED_HOSTS)) : null;
    if (problem) throw new BadRequestException(`tokenUrl: ${problem}`);
    return { ltiIssuer: dto.issuer, ltiClientId: dto.clientId, ltiDeploymentId: dto.deploymentId, ltiTokenUrl: dto.tokenUrl, ltiAudience: dto.audience ?? null };
  }

  private checkedBaseUrl(raw: string): string {
    const problem = baseUrlProblem(raw, parseAllowedHosts(this.config.LMS_ALLOWED_HOSTS));
    if (problem) throw new BadRequestException(problem);
    return normalizeBaseUrl(raw);
  }

  async remove(actor: Principal, id: string): Promise<void> {
    const before = ConnectionView.of(await this.find(id));
    const used = await this.mappings.count({ where: { connectionId: id } });
    if (used > 0) throw new ConflictException(`Connection ${id} is used by ${used} mapping(s); delete or move them first`);
    await this.connections.delete({ id });
    await this.audit.record(actor, 'connection.delete', 'connection', id, before, null);
  }
}

