import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/**
 * Signs callback URLs for one mapping and one LMS user: `sig` = HMAC-SHA256 over both with
 * SIGNING_KEY, so a leaked Speechace key cannot grade anyone else through a mapping that requires
 * signed URLs. URLs signed with a key listed in SIGNING_KEY_PREVIOUS stay valid until re-issued.
 */
@Injectable()
export class CallbackUrlSigner {
  private readonly keys: Buffer[];

  constructor(private readonly config: AppConfig) {
    this.keys = config.signingKeys;
  }

  sign(mappingId: string, user: string): string {
    return signature(this.keys[0]!, mappingId, user);
  }

  verify(mappingId: string, user: string, sig: string): boolean {
    const given = Buffer.from(sig);
    let valid = false;
    for (const key of this.keys) {
      const expected = Buffer.from(signature(key, mappingId, user));
      if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
    }
    return valid;
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

function signature(key: Buffer, mappingId: string, user: string): string {
  return createHmac('sha256', key).update(`${mappingId}\n${user}`).digest('base64url');
}
