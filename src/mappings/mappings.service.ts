import { studentKeySql } from '../sync/sync-matching';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { AuditService } from '../admin/audit/audit.service';
import { allowedCourses, assertCourseAllowed } from '../admin/auth/course-scope';
import { Principal } from '../admin/auth/roles';
import { AssessmentEntity } from '../assessments/assessment.entity';
import { ConnectionEntity } from '../connections/connection.entity';
import { SyncEntity } from '../sync/sync.entity';
import { SyncPauses } from '../sync/sync-pauses';
import { cmidOf, CreateMappingDto, MappingView, SourceScaleDto, toMappingTarget, UpdateMappingDto } from './mapping.dto';
import { MappingEntity, MappingTarget, UserMatch } from './mapping.entity';
import { assertMappingFitsKind } from './mapping-kind.rules';
import { LineItemChecker } from '../lms/lti-ags/line-item.checker';
import { MappingTargetValidator } from './mapping-target.validator';

@Injectable()
export class MappingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly targets: MappingTargetValidator,
    private readonly lineItems: LineItemChecker,
    private readonly pauses: SyncPauses,
  ) {}

  private get mappings() {
    return this.db.getRepository(MappingEntity);
  }

  async create(actor: Principal, dto: CreateMappingDto): Promise<MappingView> {
    await this.assertExists(AssessmentEntity, dto.assessmentId, 'assessmentId');
    await this.assertExists(ConnectionEntity, dto.connectionId, 'connectionId');
    assertScale(dto.sourceScale);
    const target = toMappingTarget(dto.target);
    const warnings = await this.checkTarget(dto.connectionId, dto.lmsCourseId, target, dto.userMatch);
    const saved = await this.mappings.save(
      this.mappings.create({
        assessmentId: dto.assessmentId,
        speechaceQuizId: dto.speechaceQuizId ?? null,
        connectionId: dto.connectionId,
        lmsCourseId: dto.lmsCourseId,
        target,
        targetCmid: cmidOf(target),
        userMatch: dto.userMatch,
        scoreField: dto.scoreField,
        sourceMin: dto.sourceScale.min,
        sourceMax: dto.sourceScale.max,
        attemptPolicy: dto.attemptPolicy ?? 'latest',
        enabled: dto.enabled ?? true,
        requireSignedUrl: dto.requireSignedUrl ?? false,
      }),
    );
    const view = MappingView.of(saved);
    await this.audit.record(actor, 'mapping.create', 'mapping', saved.id, null, view);
    return withWarnings(view, warnings);
  }

  async list(filter: { assessmentId?: string; lmsCourseId?: number } = {}): Promise<MappingView[]> {
    const found = await this.mappings.find({ where: { ...filter }, order: { createdAt: 'ASC' } });
    return found.map(MappingView.of);
  }

  /** A viewer limited to some LMS courses sees only the mappings of those courses. */
  async listFor(principal: Principal): Promise<MappingView[]> {
    const courses = allowedCourses(principal);
    const found = await this.mappings.find({ where: courses ? { lmsCourseId: In(courses) } : {}, order: { createdAt: 'ASC' } });
    return found.map(MappingView.of);
  }

  async getFor(principal: Principal, id: string): Promise<MappingView> {
    const mapping = await this.find(id);
    assertCourseAllowed(principal, mapping.lmsCourseId);
    return MappingView.of(mapping);
  }

  async get(id: string): Promise<MappingView> {
    return MappingView.of(await this.find(id));
  }

  async find(id: string): Promise<MappingEntity> {
    const found = await this.mappings.findOne({ where: { id } });
    if (!found) throw new NotFoundException(`Mapping ${id} not found`);
    return found;
  }

  async update(actor: Principal, id: string, dto: UpdateMappingDto): Promise<MappingView> {
    const mapping = await this.find(id);
    const before = MappingView.of(mapping);
    if (dto.sourceScale) {
      assertScale(dto.sourceScale);
      mapping.sourceMin = dto.sourceScale.min;
      mapping.sourceMax = dto.sourceScale.max;
    }
    if (dto.target) {
      mapping.target = toMappingTarget(dto.target);
      mapping.targetCmid = cmidOf(mapping.target);
    }
    if (dto.speechaceQuizId !== undefined) mapping.speechaceQuizId = dto.speechaceQuizId;
    if (dto.lmsCourseId !== undefined) mapping.lmsCourseId = dto.lmsCourseId;
    if (dto.userMatch !== undefined) mapping.userMatch = dto.userMatch;
    if (dto.scoreField !== undefined) mapping.scoreField = dto.scoreField;
    if (dto.attemptPolicy !== undefined) mapping.attemptPolicy = dto.attemptPolicy;
    if (dto.enabled !== undefined) mapping.enabled = dto.enabled;
    if (dto.requireSignedUrl !== undefined) mapping.requireSignedUrl = dto.requireSignedUrl;
    const targetChanged = dto.target !== undefined || dto.lmsCourseId !== undefined;
    const warnings = targetChanged || dto.userMatch !== undefined ? await this.checkTarget(mapping.connectionId, mapping.lmsCourseId, mapping.target, mapping.userMatch, targetChanged) : [];
    const after = MappingView.of(await this.mappings.save(mapping));
    if (before.enabled !== after.enabled) await this.pauses.mappingChanged(id, after.enabled);
    if (before.userMatch !== after.userMatch) {
      // Which references name the same student depends on how users are matched.
      await this.db.query(`UPDATE syncs SET student_key = ${studentKeySql('user_ref', '$2')} WHERE mapping_id = $1`, [id, after.userMatch]);
    }
    await this.audit.record(actor, 'mapping.update', 'mapping', id, before, after);
    return withWarnings(after, warnings);
  }

  async remove(actor: Principal, id: string): Promise<void> {
    const before = MappingView.of(await this.find(id));
    const syncs = await this.db.getRepository(SyncEntity).count({ where: { mappingId: id } });
    if (syncs > 0) throw new ConflictException(`Mapping ${id} has ${syncs} sync(s) on record; disable it instead (PATCH {"enabled": false})`);
    await this.mappings.delete({ id });
    await this.audit.record(actor, 'mapping.delete', 'mapping', id, before, null);
  }

  /** The target fits the connection's kind, and the LMS knows it (Moodle's checks, or the line item read). */
  private async checkTarget(connectionId: string, courseId: number, target: MappingTarget, userMatch: UserMatch, read = true): Promise<string[]> {
    const connection = await this.db.getRepository(ConnectionEntity).findOneByOrFail({ id: connectionId });
    assertMappingFitsKind(connection.kind, target, userMatch);
    if (!read) return [];
    if (target.type !== 'lineitem') return this.targets.validate(connectionId, courseId, target);
    const checked = await this.lineItems.check(connection, target.lineItemUrl);
    if (checked.found) return [];
    if (checked.refused) throw new BadRequestException(`target.lineItemUrl: the platform refused to show the line item: ${checked.problem.message}`);
    return [`could not check the line item: ${checked.problem.message}`];
  }

  private async assertExists(entity: typeof AssessmentEntity | typeof ConnectionEntity, id: string, field: string): Promise<void> {
    const count = await this.db.getRepository<{ id: string }>(entity).count({ where: { id } });
    if (count === 0) throw new BadRequestException(`${field} ${id} does not name an existing ${field.replace(/Id$/, '')}`);
  }
}

function withWarnings(view: MappingView, warnings: string[]): MappingView {
  return warnings.length > 0 ? { ...view, warnings } : view;
}

function assertScale(scale: SourceScaleDto): void {
  if (!(scale.max > scale.min)) throw new BadRequestException(`sourceScale.max (${scale.max}) must be greater than sourceScale.min (${scale.min})`);
}
