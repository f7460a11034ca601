import { Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AssessmentEntity } from '../assessments/assessment.entity';

export interface SubmissionScores {
  overall: number;
  pronunciation?: number;
  fluency?: number;
  vocab?: number;
  grammar?: number;
}

/** One received callback, stored as it came. Never changed, never deleted by the service. */
@Entity('submissions')
@Index(['assessmentId', 'receivedAt'])
@Index(['assessmentId', 'userRef', 'seq'])
export class SubmissionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Arrival order; the cursor of paginated lists (stable while new rows arrive). */
  @Column({ type: 'bigint', unique: true, select: true, insert: false, update: false })
  @Generated('increment')
  seq!: string;

  /** SHA-256 of the fields that identify one attempt; the unique index makes repeats harmless. */
  @Column({ name: 'dedupe_hash', type: 'text', unique: true })
  dedupeHash!: string;

  @Column({ name: 'assessment_id', type: 'uuid' })
  assessmentId!: string;

  @ManyToOne(() => AssessmentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'assessment_id' })
  assessment?: AssessmentEntity;

  @Column({ name: 'speechace_course_id', type: 'text' })
  speechaceCourseId!: string;

  @Column({ name: 'speechace_quiz_id', type: 'text' })
  speechaceQuizId!: string;

  /** The user id Speechace put in the body. */
  @Column({ name: 'speechace_user_id', type: 'text', nullable: true })
  speechaceUserId!: string | null;

  /** The LMS user the grade is for: the query's `userid` if present, else the body's `userId`. */
  @Column({ name: 'user_ref', type: 'text' })
  userRef!: string;

  @Column({ name: 'query_course_id', type: 'text', nullable: true })
  queryCourseId!: string | null;

  @Column({ name: 'query_test_id', type: 'text', nullable: true })
  queryTestId!: string | null;

  @Column({ type: 'jsonb' })
  scores!: SubmissionScores;

  @Column({ name: 'report_url', type: 'text', nullable: true })
  reportUrl!: string | null;

  @Column({ type: 'text', nullable: true })
  version!: string | null;

  /** SHA-256 of the stored body and query: a callback without reportUrl is a repeat only of the same bytes (README "Repeats"). */
  @Column({ name: 'body_hash', type: 'text', nullable: true })
  bodyHash!: string | null;

  @Column({ name: 'raw_body', type: 'text' })
  rawBody!: string;

  @Column({ name: 'content_type', type: 'text', nullable: true })
  contentType!: string | null;

  @Column({ name: 'raw_query', type: 'text', nullable: true })
  rawQuery!: string | null;

  /** The mapping a signed callback URL named (its `sig` was verified at intake). */
  @Column({ name: 'signed_mapping_id', type: 'uuid', nullable: true })
  signedMappingId!: string | null;

  @Column({ name: 'source_ip', type: 'text', nullable: true })
  sourceIp!: string | null;

  /** When the service first saw the callback: a retry of one answered 503 keeps the first try's time. */
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
