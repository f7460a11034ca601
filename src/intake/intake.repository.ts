import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AssessmentKeyEntity } from '../assessments/assessment-key.entity';
import { AssessmentEntity } from '../assessments/assessment.entity';
import { MappingEntity } from '../mappings/mapping.entity';
import { SubmissionEntity } from '../submissions/submission.entity';
import { SyncEntity } from '../sync/sync.entity';

export type NewSubmission = Omit<SubmissionEntity, 'id' | 'seq' | 'receivedAt' | 'assessment'>;

export interface StoredSubmission {
  submissionId: string;
  duplicate: boolean;
  syncs: { id: string; mappingId: string; state: string; attemptCount: number }[];
}

/** Reads what intake needs and stores a callback with its syncs in one transaction. */
@Injectable()
export class IntakeRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findAssessmentWithKeys(speechaceCourseId: string): Promise<{ assessment: AssessmentEntity; keyHashes: string[] } | null> {
    const assessment = await this.db.getRepository(AssessmentEntity).findOne({ where: { speechaceCourseId } });
    if (!assessment) return null;
    const keys = await this.db.getRepository(AssessmentKeyEntity).find({ where: { assessmentId: assessment.id, retiredAt: IsNull() } });
    return { assessment, keyHashes: keys.map((k) => k.keyHash) };
  }

  /**
   * Inserts the submission unless the same attempt is stored already (unique dedupe_hash: safe
   * under concurrent repeats), and one pending sync per enabled mapping that matches.
   */
  async store(submission: NewSubmission): Promise<StoredSubmission> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx
        .createQueryBuilder()
        .insert()
        .into(SubmissionEntity)
        .values(submission)
        .orIgnore()
        .returning(['id'])
        .execute();
      const submissionId = (inserted.raw as { id: string }[])[0]?.id;
      if (!submissionId) return this.existing(tx, submission.dedupeHash);

      const mappings = await this.matchingMappings(tx, submission);
      const syncs = mappings.map((m) => ({
        submissionId,
        mappingId: m.id,
        userRef: submission.userRef,
        state: 'pending' as const,
        sourceScore: submission.scores[m.scoreField] ?? null,
      }));
      if (syncs.length > 0) await tx.getRepository(SyncEntity).insert(syncs);
      const created = await tx.getRepository(SyncEntity).find({ where: { submissionId }, order: { createdAt: 'ASC' } });
      return {
        submissionId,
        duplicate: false,
        syncs: created.map((s) => ({ id: s.id, mappingId: s.mappingId, state: s.state, attemptCount: s.attemptCount })),
      };
    });
  }

  private async existing(db: EntityManager, dedupeHash: string): Promise<StoredSubmission> {
    const found = await db.getRepository(SubmissionEntity).findOneOrFail({ where: { dedupeHash } });
    const syncs = await db.getRepository(SyncEntity).find({ where: { submissionId: found.id }, order: { createdAt: 'ASC' } });
    return {
      submissionId: found.id,
      duplicate: true,
      syncs: syncs.map((s) => ({ id: s.id, mappingId: s.mappingId, state: s.state, attemptCount: s.attemptCount })),
    };
  }

  private matchingMappings(db: EntityManager, s: NewSubmission): Promise<MappingEntity[]> {
    const query = db
      .getRepository(MappingEntity)
      .createQueryBuilder('m')
      .where('m.assessment_id = :assessmentId AND m.enabled', { assessmentId: s.assessmentId })
      .andWhere('(m.speechace_quiz_id IS NULL OR m.speechace_quiz_id = :quizId)', { quizId: s.speechaceQuizId });
    if (s.queryCourseId !== null) query.andWhere('m.lms_course_id::text = :courseId', { courseId: s.queryCourseId });
    if (s.queryTestId !== null) query.andWhere('m.target_cmid::text = :testId', { testId: s.queryTestId });
    return query.orderBy('m.created_at').getMany();
  }
}
