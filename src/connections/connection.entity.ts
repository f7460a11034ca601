import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const CONNECTION_KINDS = ['moodle', 'lti-ags'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/**
 * One LMS site we write grades to. `moodle`: a web-service token, stored encrypted (see
 * CredentialCipher). `lti-ags`: an LTI 1.3 platform registration (the lti* columns); baseUrl then
 * holds the issuer, and no token is stored (access tokens are asked for with the tool's key).
 */
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

  /** lti-ags: the platform's issuer (`iss`), e.g. Moodle's wwwroot. */
  @Column({ name: 'lti_issuer', type: 'text', nullable: true })
  ltiIssuer!: string | null;

  /** lti-ags: the client id the platform gave the tool (the assertion's iss and sub). */
  @Column({ name: 'lti_client_id', type: 'text', nullable: true })
  ltiClientId!: string | null;

  @Column({ name: 'lti_deployment_id', type: 'text', nullable: true })
  ltiDeploymentId!: string | null;

  /** lti-ags: the platform's OAuth 2 token endpoint (Moodle: {wwwroot}/mod/lti/token.php). */
  @Column({ name: 'lti_token_url', type: 'text', nullable: true })
  ltiTokenUrl!: string | null;

  /** lti-ags: the assertion's `aud`; null means the token URL. */
  @Column({ name: 'lti_audience', type: 'text', nullable: true })
  ltiAudience!: string | null;

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
