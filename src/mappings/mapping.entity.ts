import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AssessmentEntity } from '../assessments/assessment.entity';
import { ConnectionEntity } from '../connections/connection.entity';

export const TARGET_TYPES = ['assign', 'activity', 'lineitem'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
export const USER_MATCHES = ['id', 'idnumber', 'username', 'email'] as const;
export type UserMatch = (typeof USER_MATCHES)[number];
export const SCORE_FIELDS = ['overall', 'pronunciation', 'fluency', 'vocab', 'grammar'] as const;
export type ScoreField = (typeof SCORE_FIELDS)[number];
export const ATTEMPT_POLICIES = ['latest', 'highest', 'first'] as const;
export type AttemptPolicy = (typeof ATTEMPT_POLICIES)[number];

/** A grade item reached through Moodle web services (moodle connections). */
export type MoodleTarget =
  | { type: 'assign'; assignmentId: number; cmid: number }
  | { type: 'activity'; component: string; cmid: number; itemNumber: number };
/** An LTI AGS line item (lti-ags connections), its URL exactly as the platform gives it. */
export type LineItemTarget = { type: 'lineitem'; lineItemUrl: string };
export type MappingTarget = MoodleTarget | LineItemTarget;

/** The target of a mapping on a moodle connection (creation refuses a line item there). */
export function moodleTarget(target: MappingTarget): MoodleTarget {
  if (target.type === 'lineitem') throw new Error('a line item target is graded through LTI AGS, not Moodle web services');
  return target;
}

/** "Callbacks of assessment A (quiz Q) become grades in LMS course C, grade item T." */
@Entity('mappings')
@Index(['assessmentId'])
export class MappingEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'assessment_id', type: 'uuid' })
  assessmentId!: string;

  @ManyToOne(() => AssessmentEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'assessment_id' })
  assessment?: AssessmentEntity;

  @Column({ name: 'speechace_quiz_id', type: 'text', nullable: true })
  speechaceQuizId!: string | null;

  @Column({ name: 'connection_id', type: 'uuid' })
  connectionId!: string;

  @ManyToOne(() => ConnectionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'connection_id' })
  connection?: ConnectionEntity;

  @Column({ name: 'lms_course_id', type: 'integer' })
  lmsCourseId!: number;

  @Column({ type: 'jsonb' })
  target!: MappingTarget;

  /** The course-module id of the target, copied out of `target` so intake can filter on it (0 for a line item). */
  @Column({ name: 'target_cmid', type: 'integer' })
  targetCmid!: number;

  @Column({ name: 'user_match', type: 'text' })
  userMatch!: UserMatch;

  @Column({ name: 'score_field', type: 'text' })
  scoreField!: ScoreField;

  @Column({ name: 'source_min', type: 'double precision' })
  sourceMin!: number;

  @Column({ name: 'source_max', type: 'double precision' })
  sourceMax!: number;

  @Column({ name: 'attempt_policy', type: 'text', default: 'latest' })
  attemptPolicy!: AttemptPolicy;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Only callbacks through a URL signed for one LMS user (POST /mappings/:id/callback-url) may grade. */
  @Column({ name: 'require_signed_url', type: 'boolean', default: false })
  requireSignedUrl!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
