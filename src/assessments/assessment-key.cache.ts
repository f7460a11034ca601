import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface AssessmentKeys {
  assessmentId: string;
  keyHashes: string[];
}

/** Other processes see an admin's key change within this long. */
const TTL_MS = 5000;

/**
 * The active key hashes of each assessment, as intake needs them on every callback: one query,
 * cached briefly. Changes made through this process's admin API take effect at once (they call
 * `forget`); other processes see them within a few seconds.
 */
@Injectable()
export class AssessmentKeyCache {
  private readonly entries = new Map<string, { at: number; value: AssessmentKeys | null }>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async find(speechaceCourseId: string): Promise<AssessmentKeys | null> {
    const cached = this.entries.get(speechaceCourseId);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.value;
    const [row] = (await this.db.query(
      `SELECT a.id, coalesce(array_agg(k.key_hash) FILTER (WHERE k.id IS NOT NULL AND k.retired_at IS NULL), '{}') AS key_hashes
         FROM assessments a LEFT JOIN assessment_keys k ON k.assessment_id = a.id
        WHERE a.speechace_course_id = $1
        GROUP BY a.id`,
      [speechaceCourseId],
    )) as { id: string; key_hashes: string[] }[];
    const value = row ? { assessmentId: row.id, keyHashes: row.key_hashes } : null;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(speechaceCourseId, { at: Date.now(), value });
    return value;
  }

  forget(): void {
    this.entries.clear();
  }
}
