import { Injectable } from '@nestjs/common';

export interface AgsAccessToken {
  value: string;
  /** The scopes the platform granted (its `scope` answer; what we asked for when it does not say). */
  scopes: string[];
  /** When this process stops using it: shortly before the platform's expires_in. */
  renewAt: number;
}

/** Stop using a token this long before it expires (a tenth of its life when that is shorter). */
const RENEW_MARGIN_MS = 60_000;

export function renewAt(expiresInSeconds: number, now = Date.now()): number {
  const lifeMs = Math.max(0, expiresInSeconds) * 1000;
  return now + lifeMs - Math.min(RENEW_MARGIN_MS, lifeMs / 10);
}

/**
 * Access tokens per connection, in this process: one token serves every push until shortly before
 * it expires. Keyed also by what the token was asked with (client id, token URL, audience, tool
 * key), so a changed connection or a rotated key never reuses an old token. Concurrent askers of
 * one connection share one token request.
 */
@Injectable()
export class AgsTokenCache {
  private readonly tokens = new Map<string, { key: string; token: AgsAccessToken }>();
  private readonly inFlight = new Map<string, { key: string; promise: Promise<AgsAccessToken> }>();

  async get(connectionId: string, key: string, fetchToken: () => Promise<AgsAccessToken>): Promise<AgsAccessToken> {
    const cached = this.tokens.get(connectionId);
    if (cached && cached.key === key && cached.token.renewAt > Date.now()) return cached.token;
    const pending = this.inFlight.get(connectionId);
    if (pending && pending.key === key) return pending.promise;
    const promise = fetchToken()
      .then((token) => {
        this.tokens.set(connectionId, { key, token });
        return token;
      })
      .finally(() => {
        if (this.inFlight.get(connectionId)?.promise === promise) this.inFlight.delete(connectionId);
      });
    this.inFlight.set(connectionId, { key, promise });
    return promise;
  }

  /** Forgets a token the platform refused (401), unless another caller already replaced it. */
  invalidate(connectionId: string, value: string): void {
    if (this.tokens.get(connectionId)?.token.value === value) this.tokens.delete(connectionId);
  }
}
