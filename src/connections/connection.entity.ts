import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const CONNECTION_KINDS = ['moodle'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/** One LMS site we write grades to. The token is stored encrypted (see CredentialCipher). */
@Entity('connections')
export class ConnectionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  kind!: ConnectionKind;

  @Column({ name: 'base_url', type: 'text' })
  baseUrl!: string;

  @Column({ name: 'token_encrypted', type: 'text' })
  tokenEncrypted!: string;

  /** Most LMS requests per second from all workers together; null: LMS_RATE_LIMIT_PER_SECOND. */
  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond!: number | null;

  /** Most LMS requests in flight at once from all workers together; null: LMS_MAX_CONCURRENCY. */
  @Column({ name: 'max_concurrency', type: 'integer', nullable: true })
  maxConcurrency!: number | null;

  /** A disabled connection pauses its syncs (state `paused`) until it is enabled again. */
  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
