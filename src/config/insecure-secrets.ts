/**
 * Secrets that are public (printed in this repository's files or docs) or plainly placeholders.
 * A service started with one of them can be administered, or its stored tokens decrypted, by
 * anyone who has read our README; so start-up refuses them unless ALLOW_INSECURE_DEFAULTS=1.
 */
const PUBLISHED = new Set([
  'change-me-admin-token',
  'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=', // the key docker-compose.yml used to ship
]);

const PLACEHOLDER_WORDS = /change-?me|replace-?(?:me|with)|example|placeholder|your[-_]?(?:token|key|secret)|^(.)\1+$/i;

interface Secrets {
  ADMIN_API_TOKEN: string;
  ENCRYPTION_KEY: string;
  SIGNING_KEY: string;
}

function isPlaceholderKey(base64: string): boolean {
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length > 0 && bytes.every((b) => b === bytes[0]);
}

/** One line per published, placeholder or reused secret: "NAME: why". */
export function insecureSecretsIn(secrets: Secrets): string[] {
  const problems: string[] = [];
  const token = secrets.ADMIN_API_TOKEN ?? '';
  if (PUBLISHED.has(token) || PLACEHOLDER_WORDS.test(token)) {
    problems.push('ADMIN_API_TOKEN: is a published placeholder; generate one (npm run setup writes .env with fresh secrets)');
  }
  for (const name of ['ENCRYPTION_KEY', 'SIGNING_KEY'] as const) {
    const key = secrets[name] ?? '';
    if (PUBLISHED.has(key) || isPlaceholderKey(key)) {
      problems.push(`${name}: is a published or placeholder key; generate one with: openssl rand -base64 32`);
    }
  }
  if (secrets.ENCRYPTION_KEY && secrets.ENCRYPTION_KEY === secrets.SIGNING_KEY) {
    problems.push('SIGNING_KEY: must differ from ENCRYPTION_KEY (each key has one purpose)');
  }
  return problems;
}
