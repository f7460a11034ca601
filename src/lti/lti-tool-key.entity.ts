import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JWK } from 'jose';

/**
 * One RSA key pair the service signs LTI client assertions with. The newest is the current one;
 * older ones stay published in the JWKS until deleted, so platforms that cached them keep verifying.
 */
@Entity('lti_tool_keys')
export class LtiToolKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  kid!: string;

  /** The public half as a JWK (kty, n, e, kid, alg, use). */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: JWK;

  @Column({ name: 'public_key_pem', type: 'text' })
  publicKeyPem!: string;

  /** PKCS#8 PEM sealed with ENCRYPTION_KEY (CredentialCipher); never returned, never logged. */
  @Column({ name: 'private_key_encrypted', type: 'text' })
  privateKeyEncrypted!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
