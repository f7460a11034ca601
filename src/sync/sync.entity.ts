import { Check, Column, CreateDateColumn, Entity, Generated, Index, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { MappingEntity } from '../mappings/mapping.entity';
import { SubmissionEntity } from '../submissions/submission.entity';
import { SyncAttemptEntity } from './sync-attempt.entity';

export const SYNC_STATES = ['pending', 'queued', 'paused', 'synced', 'blocked', 'failed', 'skipped'] as const;
export type SyncState = (typeof SYNC_STATES)[number];
/** Waiting for a worker. (A `paused` sync waits for its mapping or connection to be enabled again.) */
export const OPEN_SYNC_STATES: readonly SyncState[] = ['pending', 'queued'];

/** Bringing one submission's grade into one mapping's grade item. */
@Entity('syncs')
@Check('ck_syncs_state', `state IN ('pending', 'queued', 'paused', 'synced', 'blocked', 'failed', 'skipped')`)
@Unique('uq_syncs_submission_mapping', ['submissionId', 'mappingId'])
@Index(['state', 'nextAttemptAt'])
@Index(['mappingId', 'studentKey'])
export class SyncEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Creation order; the cursor of paginated lists. */
  @Column({ type: 'bigint', unique: true, insert: false, update: false })
  @Generated('increment')
  seq!: string;

  @Column({ name: 'submission_id', type: 'uuid' })
  submissionId!: string;

  @ManyToOne(() => SubmissionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'submission_id' })
  submission?: SubmissionEntity;

  @Column({ name: 'mapping_id', type: 'uuid' })
  mappingId!: string;

  @ManyToOne(() => MappingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'mapping_id' })
  mapping?: MappingEntity;

  /** Copied from the submission so attempt policies can compare attempts of one user cheaply. */
  @Column({ name: 'user_ref', type: 'text' })
  userRef!: string;

  /**
   * The student as the mapping's userMatch makes Moodle see it (README "Attempt policies"): ids
   * without leading zeros, e-mails and usernames lower-cased. Claims and attempt policies group by
   * it, so "04" and "4" are one student.
   */
  @Column({ name: 'student_key', type: 'text' })
  studentKey!: string;

  @Column({ type: 'text' })
  state!: SyncState;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'lms_user_id', type: 'integer', nullable: true })
  lmsUserId!: number | null;

  /** The score taken from the submission (mapping's scoreField), on the source scale. */
  @Column({ name: 'source_score', type: 'double precision', nullable: true })
  sourceScore!: number | null;

  /** The grade on the item's range; set once computed, so a retry pushes the same value. */
  @Column({ type: 'double precision', nullable: true })
  grade!: number | null;

  @Column({ name: 'attempt_count', type: 'integer', default: 0 })
  attemptCount!: number;

  /** When the queue should next run it; the outbox relay enqueues open syncs whose time has come. */
  /** attemptCount when an admin last retried it: SYNC_MAX_ATTEMPTS counts from there. */
  @Column({ name: 'retry_base', type: 'integer', default: 0 })
  retryBase!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  /** A worker that claimed the sync holds it until then; a crashed worker's claim simply expires. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  /**
   * Set by each claim and required by every write after it: a worker whose lease ran out and was
   * taken over can neither record an outcome nor push again.
   */
  @Column({ name: 'claim_token', type: 'uuid', nullable: true })
  claimToken!: string | null;

  @Column({ name: 'synced_at', type: 'timestamptz', nullable: true })
  syncedAt!: Date | null;

  @OneToMany(() => SyncAttemptEntity, (a) => a.sync)
  attempts?: SyncAttemptEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
