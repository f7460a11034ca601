import { Injectable } from '@nestjs/common';
import { CredentialCipher } from '../common/crypto/credential-cipher';
import { ConnectionEntity } from '../connections/connection.entity';
import { LmsCallLimiter } from './lms-call.limiter';
import { MoodleClient, MoodleSession } from './moodle/moodle.client';

/** Opens a Moodle session for a stored connection: its decrypted token, under its rate and concurrency limits. */
@Injectable()
export class LmsSessions {
  constructor(
    private readonly moodle: MoodleClient,
    private readonly cipher: CredentialCipher,
    private readonly limiter: LmsCallLimiter,
  ) {}

  /** The token is returned too, for callers that must scrub it from what Moodle said. */
  open(connection: ConnectionEntity): { lms: MoodleSession; token: string } {
    const token = this.cipher.decrypt(connection.tokenEncrypted);
    return { lms: this.moodle.session({ baseUrl: connection.baseUrl, token, gate: this.limiter.gateFor(connection) }), token };
  }
}
