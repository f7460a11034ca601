import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AssessmentEntity } from './assessment.entity';

/** A callback key of an assessment, kept only as a SHA-256 hash. Two may be active during a rotation. */
@Entity('assessment_keys')
@Index(['assessmentId'])
export class AssessmentKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'assessment_id', type: 'uuid' })
  assessmentId!: string;

  @ManyToOne(() => AssessmentEntity, (a) => a.keys, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'assessment_id' })
  assessment?: AssessmentEntity;

  @Column({ name: 'key_hash', type: 'text' })
  keyHash!: string;

  /** Last four characters, so an admin can tell keys apart without seeing them. */
  @Column({ name: 'key_hint', type: 'text' })
  keyHint!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt!: Date | null;
}
