import { ConflictException, Injectable, NotFoundException, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, JWK } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../admin/audit/audit.service';
import { Principal } from '../admin/auth/roles';
import { CredentialCipher } from '../common/crypto/credential-cipher';
import { AppConfig } from '../config/app-config';
import { LtiToolKeyEntity } from './lti-tool-key.entity';
import { ToolKeyView, ToolView } from './lti-tool.dto';

export const LTI_SIGNING_ALG = 'RS256';

/** The current key, ready to sign a client assertion. */
export interface ToolSigner {
  kid: string;
  privateKey: webcrypto.CryptoKey;
}

/**
 * The tool's RSA key pairs: created once when none exists, rotated and deleted by an admin. The
 * newest key signs; every stored key is published in the JWKS.
 */
@Injectable()
export class LtiToolKeys implements OnApplicationBootstrap {
  /** Decrypted private keys by kid: a key never changes once created. */
  private readonly opened = new Map<string, webcrypto.CryptoKey>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cipher: CredentialCipher,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockKeys(tx);
      if ((await tx.getRepository(LtiToolKeyEntity).count()) === 0) await this.insertNewKey(tx);
    });
  }

  /** Newest first. */
  private keys(): Promise<LtiToolKeyEntity[]> {
    return this.db.getRepository(LtiToolKeyEntity).find({ order: { createdAt: 'DESC', kid: 'ASC' } });
  }

  private async current(): Promise<LtiToolKeyEntity> {
    const [newest] = await this.keys();
    if (!newest) throw new ConflictException('The tool has no key yet: restart the service (it creates one at start-up) or POST /api/v1/lti/keys/rotate');
    return newest;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.keys()).map((k) => k.publicJwk) };
  }

  async tool(): Promise<ToolView> {
    const keys = await this.keys();
    const current = keys[0];
    if (!current) throw new ConflictException('The tool has no key yet: POST /api/v1/lti/keys/rotate creates one');
    return {
      publicKeyPem: current.publicKeyPem,
      jwksUrl: `${this.config.publicBaseUrl}/.well-known/jwks.json`,
      kid: current.kid,
      keys: keys.map((k, i): ToolKeyView => ({ kid: k.kid, createdAt: k.createdAt, current: i === 0 })),
    };
  }

  async rotate(actor: Principal): Promise<ToolView> {
    const created = await this.db.transaction(async (tx) => {
      await lockKeys(tx);
      return this.insertNewKey(tx);
    });
    await this.audit.record(actor, 'lti.key.rotate', 'lti_tool_key', created.id, null, { kid: created.kid });
    return this.tool();
  }

  async remove(actor: Principal, kid: string): Promise<void> {
    const removed = await this.db.transaction(async (tx) => {
      await lockKeys(tx);
      const keys = await tx.getRepository(LtiToolKeyEntity).find({ order: { createdAt: 'DESC', kid: 'ASC' } });
      const found = keys.find((k) => k.kid === kid);
      if (!found) throw new NotFoundException(`No tool key with kid ${kid}`);
      if (found === keys[0]) {
        throw new ConflictException(`Key ${kid} is the current key (it signs every client assertion): rotate first (POST /api/v1/lti/keys/rotate), register the new key with the platforms, then delete this one`);
      }
      await tx.getRepository(LtiToolKeyEntity).delete({ id: found.id });
      return found;
    });
    this.opened.delete(kid);
    await this.audit.record(actor, 'lti.key.delete', 'lti_tool_key', removed.id, { kid }, null);
  }

  /** The current key's private half, decrypted once per process. */
  async signer(): Promise<ToolSigner> {
    const key = await this.current();
    let privateKey = this.opened.get(key.kid);
    if (!privateKey) {
      privateKey = await importPKCS8(this.cipher.decrypt(key.privateKeyEncrypted), LTI_SIGNING_ALG);
      this.opened.set(key.kid, privateKey);
    }
    return { kid: key.kid, privateKey };
  }

  private async insertNewKey(tx: EntityManager): Promise<LtiToolKeyEntity> {
    const { publicKey, privateKey } = await generateKeyPair(LTI_SIGNING_ALG, { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const repo = tx.getRepository(LtiToolKeyEntity);
    return repo.save(
      repo.create({
        kid,
        publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: LTI_SIGNING_ALG, use: 'sig' },
        publicKeyPem: await exportSPKI(publicKey),
        privateKeyEncrypted: this.cipher.encrypt(await exportPKCS8(privateKey)),
      }),
    );
  }
}

/** Serialises key creation and deletion across processes (an API and a worker starting together). */
async function lockKeys(tx: EntityManager): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('lti_tool_keys'))`);
}
