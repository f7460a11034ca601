import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A callback we answered 4xx for its body (400, 404 unknown assessment, 415), kept so an admin
 * can replay it after a fix (README "Quarantine"). The body is stored encrypted (it may hold the
 * key, and an unparseable body cannot be stripped of it reliably); the query is stored without its key.
 */
@Entity('callback_quarantine')
export class QuarantinedCallbackEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Arrival order: the list cursor, and how the count bound finds the oldest rows. */
  @Column({ type: 'bigint', unique: true, select: true, insert: false, update: false })
  @Generated('increment')
  seq!: string;

  @Index()
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  /** The status we answered with. */
  @Column({ type: 'integer' })
  status!: number;

  /** Our answer's message: why the body was refused. */
  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'content_type', type: 'text', nullable: true })
  contentType!: string | null;

  /** AES-256-GCM (CredentialCipher) of the body's bytes, base64 inside. */
  @Column({ name: 'body_encrypted', type: 'text' })
  bodyEncrypted!: string;

  @Column({ name: 'body_bytes', type: 'integer' })
  bodyBytes!: number;

  /** The query string without its key. */
  @Column({ name: 'raw_query', type: 'text', nullable: true })
  rawQuery!: string | null;

  @Column({ name: 'source_ip', type: 'text', nullable: true })
  sourceIp!: string | null;

  @Column({ name: 'request_id', type: 'text' })
  requestId!: string;
}
