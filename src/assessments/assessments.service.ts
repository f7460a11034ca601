import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull } from 'typeorm';
import { allowedCourses, isAdmin } from '../admin/auth/course-scope';
import { AuditService } from '../admin/audit/audit.service';
import { Principal } from '../admin/auth/roles';
import { hashSecret } from '../common/crypto/secret-hash';
import { MappingEntity } from '../mappings/mapping.entity';
import { SubmissionEntity } from '../submissions/submission.entity';
import { AddKeyDto, AssessmentView, CreateAssessmentDto, UpdateAssessmentDto } from './assessment.dto';
import { AssessmentKeyEntity } from './assessment-key.entity';
import { AssessmentEntity } from './assessment.entity';
import { AssessmentKeyCache } from './assessment-key.cache';

@Injectable()
export class AssessmentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly keyCache: AssessmentKeyCache,
  ) {}

  private get assessments() {
    return this.db.getRepository(AssessmentEntity);
  }

  private get keys() {
    return this.db.getRepository(AssessmentKeyEntity);
  }

  async create(actor: Principal, dto: CreateAssessmentDto): Promise<AssessmentView> {
    const taken = await this.assessments.findOne({ where: { speechaceCourseId: dto.speechaceCourseId } });
    if (taken) throw new ConflictException(`Speechace courseId ${dto.speechaceCourseId} is already registered as assessment ${taken.id}`);
    const id = await this.db.transaction(async (tx) => {
      const saved = await tx.getRepository(AssessmentEntity).save(tx.getRepository(AssessmentEntity).create({ name: dto.name, speechaceCourseId: dto.speechaceCourseId }));
      await tx.getRepository(AssessmentKeyEntity).insert(newKey(saved.id, dto.callbackKey));
      return saved.id;
    });
    const view = await this.get(id);
    this.keyCache.forget();
    await this.audit.record(actor, 'assessment.create', 'assessment', id, null, view);
    return view;
  }

  /** Viewers get no key hints; a viewer limited to some LMS courses sees only assessments its courses' mappings use. */
  async list(principal: Principal): Promise<AssessmentView[]> {
    const visible = await this.visibleIds(principal);
    const all = await this.assessments.find({ where: visible ? { id: In(visible) } : {}, order: { createdAt: 'ASC' }, relations: { keys: true } });
    return all.map((a) => AssessmentView.of(a, sortKeys(a.keys ?? []), isAdmin(principal)));
  }

  async getFor(principal: Principal, id: string): Promise<AssessmentView> {
    const view = await this.get(id);
    const visible = await this.visibleIds(principal);
    if (visible && !visible.includes(id)) {
      throw new ForbiddenException(`This token may not see assessment ${id}: no mapping in LMS course(s) ${principal.lmsCourseIds!.join(', ')} uses it`);
    }
    return isAdmin(principal) ? view : AssessmentView.withoutKeys(view);
  }

  /** null: every assessment. */
  private async visibleIds(principal: Principal): Promise<string[] | null> {
    const courses = allowedCourses(principal);
    if (!courses) return null;
    const used = await this.db.getRepository(MappingEntity).find({ select: { assessmentId: true }, where: { lmsCourseId: In(courses) } });
    return [...new Set(used.map((m) => m.assessmentId))];
  }

  async get(id: string): Promise<AssessmentView> {
    const found = await this.assessments.findOne({ where: { id }, relations: { keys: true } });
    if (!found) throw new NotFoundException(`Assessment ${id} not found`);
    return AssessmentView.of(found, sortKeys(found.keys ?? []));
  }

  async update(actor: Principal, id: string, dto: UpdateAssessmentDto): Promise<AssessmentView> {
    const before = await this.get(id);
    if (dto.name !== undefined) await this.assessments.update({ id }, { name: dto.name });
    const after = await this.get(id);
    this.keyCache.forget();
    await this.audit.record(actor, 'assessment.update', 'assessment', id, before, after);
    return after;
  }

  async remove(actor: Principal, id: string): Promise<void> {
    const before = await this.get(id);
    const mappings = await this.db.getRepository(MappingEntity).count({ where: { assessmentId: id } });
    const submissions = await this.db.getRepository(SubmissionEntity).count({ where: { assessmentId: id } });
    if (mappings + submissions > 0) {
      throw new ConflictException(`Assessment ${id} has ${mappings} mapping(s) and ${submissions} stored submission(s); it cannot be deleted`);
    }
    await this.assessments.delete({ id });
    this.keyCache.forget();
    await this.audit.record(actor, 'assessment.delete', 'assessment', id, before, null);
  }

  /** Rotation step 1: a new key that works alongside the current one. */
  async addKey(actor: Principal, id: string, dto: AddKeyDto): Promise<AssessmentView> {
    const before = await this.get(id);
    const active = await this.keys.find({ where: { assessmentId: id, retiredAt: IsNull() } });
    if (active.some((k) => k.keyHash === hashSecret(dto.callbackKey))) throw new ConflictException('That key is already active');
    if (active.length >= 2) throw new ConflictException('Two keys are active already; retire one before adding another');
    await this.keys.insert(newKey(id, dto.callbackKey));
    const after = await this.get(id);
    this.keyCache.forget();
    await this.audit.record(actor, 'assessment.key.add', 'assessment', id, before, after);
    return after;
  }

  /** Rotation step 2: the old key stops working. The last active key cannot be retired. */
  async retireKey(actor: Principal, id: string, keyId: string): Promise<AssessmentView> {
    const key = await this.keys.findOne({ where: { id: keyId, assessmentId: id } });
    if (!key) throw new NotFoundException(`Key ${keyId} of assessment ${id} not found`);
    if (key.retiredAt) return this.get(id);
    const active = await this.keys.count({ where: { assessmentId: id, retiredAt: IsNull() } });
    if (active <= 1) throw new ConflictException('This is the only active key; add its successor first');
    const before = await this.get(id);
    await this.keys.update({ id: keyId }, { retiredAt: new Date() });
    const after = await this.get(id);
    this.keyCache.forget();
    await this.audit.record(actor, 'assessment.key.retire', 'assessment', id, before, after);
    return after;
  }
}

/** Enough to tell two keys apart in a rotation, too little to help guess one. */
const KEY_HINT_LENGTH = 2;

function newKey(assessmentId: string, key: string): Partial<AssessmentKeyEntity> {
  return { assessmentId, keyHash: hashSecret(key), keyHint: key.slice(-KEY_HINT_LENGTH), retiredAt: null };
}

function sortKeys(keys: AssessmentKeyEntity[]): AssessmentKeyEntity[] {
  return [...keys].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}
