import { jsonErrorWhere } from '../intake/callback-body.parser';

export interface ErrorAnswer {
  status: number;
  body: { statusCode: number; message: string; error?: string };
}

/** A body-parser error (too large, bad JSON, bad encoding) as a JSON 4xx; null for anything else. */
export function bodyParserErrorAnswer(error: unknown): ErrorAnswer | null {
  const e = error as { status?: number; type?: string; message?: string; limit?: number } | null;
  if (!e || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  const message =
    e.type === 'entity.too.large'
      ? `The request body is larger than the limit of ${e.limit} bytes`
      : e.type === 'entity.parse.failed'
        ? `The request body is not valid JSON (${jsonErrorWhere(error)})`
        : (e.message ?? 'Bad request');
  return { status: e.status, body: { statusCode: e.status, message, error: e.type ?? 'Bad Request' } };
}
