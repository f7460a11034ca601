import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AssessmentKeyEntity } from './assessment-key.entity';

/** A Speechace assessment ("course" in Speechace's callback), found by Speechace's courseId. */
@Entity('assessments')
export class AssessmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'speechace_course_id', type: 'text', unique: true })
  speechaceCourseId!: string;

  @OneToMany(() => AssessmentKeyEntity, (key) => key.assessment)
  keys?: AssessmentKeyEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
