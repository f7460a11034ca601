import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncEntity } from './sync.entity';

export const ATTEMPT_OUTCOMES = ['synced', 'blocked', 'skipped', 'failed', 'retry'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** One LMS call made during an attempt, with the LMS's answer (never the token). */
export interface RecordedLmsCall {
  function: string;
  params: Record<string, string>;
  httpStatus: number | null;
  body: string | null;
  error: string | null;
  durationMs: number;
  /**
   * True when another claim of the same worker made this call (a course-wide grade report, a roster,
   * an assignment's grades) and its answer served this attempt too: shared reads are recorded with
   * every attempt that relied on them, not only with the one that sent them.
   */
  shared?: true;
  /**
   * `body` is this student's part of an answer about many students (a roster, a course-wide grade
   * report, an assignment's grades), not the start of the answer.
   */
  studentPart?: true;
  /** In memory only, never stored: each student's part of such an answer (see attempt-calls.ts). */
  studentParts?: StudentParts;
}

/** An answer about many students, cut into the part each student's attempt records. */
export interface StudentParts {
  /** By LMS user id: the student's part of the answer (JSON, cut like any recorded body). */
  byUser: ReadonlyMap<number, string>;
  /** Recorded for a student the answer does not mention. */
  absent: string;
}

/** One try at a sync: what we decided, and every LMS call with its answer. */
@Entity('sync_attempts')
@Index(['syncId', 'number'])
export class SyncAttemptEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'sync_id', type: 'uuid' })
  syncId!: string;

  @ManyToOne(() => SyncEntity, (s) => s.attempts, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sync_id' })
  sync?: SyncEntity;

  @Column({ type: 'integer' })
  number!: number;

  @Column({ type: 'text' })
  outcome!: AttemptOutcome;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  calls!: RecordedLmsCall[];

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz' })
  finishedAt!: Date;
}
