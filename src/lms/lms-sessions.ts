import { Injectable } from '@nestjs/common';
import { CredentialCipher, UndecryptableCredentialError } from '../common/crypto/credential-cipher';
import { ConnectionEntity } from '../connections/connection.entity';
import { GateOptions, LmsCallLimiter } from './lms-call.limiter';
import { MoodleClient, MoodleSession } from './moodle/moodle.client';
import { LmsError } from './moodle/moodle-errors';

/** Opens a Moodle session for a stored connection: its decrypted token, under its rate and concurrency limits. */
@Injectable()
export class LmsSessions {
  constructor(
    private readonly moodle: MoodleClient,
    private readonly cipher: CredentialCipher,
    private readonly limiter: LmsCallLimiter,
  ) {}

  /**
   * The token is returned too, for callers that must scrub it from what Moodle said. Throws
   * LmsError `token_undecryptable` (permanent until someone acts) when the stored token cannot be read.
   */
  open(connection: ConnectionEntity, gate: GateOptions = {}): { lms: MoodleSession; token: string } {
    const token = this.decrypt(connection);
    return { lms: this.moodle.session({ baseUrl: connection.baseUrl, token, gate: this.limiter.gateFor(connection, gate) }), token };
  }

  private decrypt(connection: ConnectionEntity): string {
    try {
      return this.cipher.decrypt(connection.tokenEncrypted);
    } catch (error) {
      const why =
        error instanceof UndecryptableCredentialError
          ? 'ENCRYPTION_KEY does not match the key it was stored with (set ENCRYPTION_KEY_PREVIOUS to that key)'
          : `it is damaged (${(error as Error).message})`;
      throw new LmsError(
        'transient',
        'token_undecryptable',
        `the connection's token cannot be decrypted: ${why}; or re-enter the connection token (PATCH /api/v1/connections/${connection.id} with "token")`,
      );
    }
  }
}
