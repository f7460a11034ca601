import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { LTI_SIGNING_ALG, ToolSigner } from '../../lti/lti-tool-keys.service';
import { AgsPlatform } from './ags.types';

/** How long an assertion is valid: long enough for a slow token endpoint, short enough to be useless if leaked. */
const ASSERTION_LIFETIME_S = 300;

/**
 * The RS256 JWT that authenticates the tool at the platform's token URL (LTI 1.3 / RFC 7523):
 * iss = sub = client id, aud, iat, exp, a fresh jti, and the signing key's kid in the header.
 */
export async function clientAssertion(platform: AgsPlatform, signer: ToolSigner, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: LTI_SIGNING_ALG, typ: 'JWT', kid: signer.kid })
    .setIssuer(platform.clientId)
    .setSubject(platform.clientId)
    .setAudience(platform.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_S)
    .setJti(randomUUID())
    .sign(signer.privateKey);
}
