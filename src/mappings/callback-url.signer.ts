import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/**
 * Signs callback URLs for one mapping and one LMS user: `sig` = HMAC-SHA256 over both, so a
 * leaked Speechace key cannot grade anyone else through a mapping that requires signed URLs.
 * The signing key is derived from ENCRYPTION_KEY (rotating that key invalidates issued URLs).
 */
@Injectable()
export class CallbackUrlSigner {
  private readonly key: Buffer;

  constructor(private readonly config: AppConfig) {
    this.key = createHmac('sha256', config.encryptionKey).update('callback-url-signing-v1').digest();
  }

  sign(mappingId: string, user: string): string {
    return createHmac('sha256', this.key).update(`${mappingId}\n${user}`).digest('base64url');
  }

  verify(mappingId: string, user: string, sig: string): boolean {
    const expected = Buffer.from(this.sign(mappingId, user));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The URL to give Speechace as app_score_submission_url. */
  url(mapping: { id: string; lmsCourseId: number; targetCmid: number }, user?: string): string {
    const query = new URLSearchParams({ courseid: String(mapping.lmsCourseId), testid: String(mapping.targetCmid) });
    if (user !== undefined) {
      query.set('userid', user);
      query.set('mid', mapping.id);
      query.set('sig', this.sign(mapping.id, user));
    }
    return `${this.config.publicBaseUrl}/speechace/callback?${query.toString()}`;
  }
}
