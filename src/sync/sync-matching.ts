import { EntityManager } from 'typeorm';

/**
 * When a stored submission `sub` is graded by mapping `m`: the one definition, used at intake
 * (mappings for a new submission) and by replay (submissions for a new mapping).
 * Query courseid/testid from the callback URL narrow the mappings; a signed URL names its mapping,
 * and a mapping that requires signed URLs takes only callbacks signed for it.
 */
export const MATCHES = `
  m.assessment_id = sub.assessment_id AND m.enabled
  AND (m.speechace_quiz_id IS NULL OR m.speechace_quiz_id = sub.speechace_quiz_id)
  AND (sub.query_course_id IS NULL OR m.lms_course_id::text = sub.query_course_id)
  AND (sub.query_test_id IS NULL OR m.target_cmid::text = sub.query_test_id)
  AND (sub.signed_mapping_id IS NULL OR sub.signed_mapping_id = m.id)
  AND (NOT m.require_signed_url OR sub.signed_mapping_id = m.id)`;

/**
 * The student a user reference names for a mapping matching users on `match` (both SQL
 * expressions): what Moodle's lookup makes equal is equal here. An all-digit id loses its leading
 * zeros (Moodle cleans `04` to user 4); e-mails and usernames are lower-cased (the service finds
 * an e-mail whatever its case, and Moodle lower-cases usernames); an idnumber stays as given.
 */
export function studentKeySql(ref: string, match: string): string {
  return `(CASE WHEN ${match} = 'id' AND ${ref} ~ '^[0-9]+$' THEN coalesce(nullif(ltrim(${ref}, '0'), ''), '0')
                WHEN ${match} IN ('email', 'username') THEN lower(${ref}) ELSE ${ref} END)`;
}

export interface CreatedSync {
  id: string;
  mappingId: string;
  state: string;
  attemptCount: number;
}

/** Inserts a pending sync for every (submission, mapping) pair `where` selects that matches and has none yet. */
export async function insertMatchingSyncs(db: EntityManager, where: string, params: unknown[]): Promise<CreatedSync[]> {
  const rows = (await db.query(
    `INSERT INTO syncs (submission_id, mapping_id, user_ref, student_key, state, source_score)
     SELECT sub.id, m.id, sub.user_ref, ${studentKeySql('sub.user_ref', 'm.user_match')}, 'pending', (sub.scores ->> m.score_field)::double precision
       FROM submissions sub JOIN mappings m ON ${MATCHES}
      WHERE ${where}
      ORDER BY sub.seq, m.created_at
     ON CONFLICT (submission_id, mapping_id) DO NOTHING
     RETURNING id, mapping_id, state, attempt_count`,
    params,
  )) as { id: string; mapping_id: string; state: string; attempt_count: number }[];
  return rows.map((r) => ({ id: r.id, mappingId: r.mapping_id, state: r.state, attemptCount: r.attempt_count }));
}
