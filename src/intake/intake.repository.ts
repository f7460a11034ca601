import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AssessmentKeyEntity } from '../assessments/assessment-key.entity';
import { AssessmentEntity } from '../assessments/assessment.entity';
import { SubmissionEntity } from '../submissions/submission.entity';
import { insertMatchingSyncs } from '../sync/sync-matching';
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

      const syncs = await insertMatchingSyncs(tx, 'sub.id = $1', [submissionId]);
      return { submissionId, duplicate: false, syncs };
    });
  }

  private async existing(db: EntityManager, dedupeHash: string): Promise<StoredSubmission> {
    const found = await db.getRepository(SubmissionEntity).findOneOrFail({ where: { dedupeHash } });
    const syncs = await db.getRepository(SyncEntity).find({ where: { submissionId: found.id }, order: { seq: 'ASC' } });
    return {
      submissionId: found.id,
      duplicate: true,
      syncs: syncs.map((s) => ({ id: s.id, mappingId: s.mappingId, state: s.state, attemptCount: s.attemptCount })),
    };
  }
}
