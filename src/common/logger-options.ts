import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Params } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

/** Paths of secrets that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body.key',
  'req.body.token',
  'req.body.callbackKey',
  '*.token',
  '*.wstoken',
  '*.key',
  '*.callbackKey',
];

/** The request's correlation id: X-Request-Id when the client sent a sane one, else a new UUID; echoed in the answer. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const sent = req.headers['x-request-id'];
  const id = typeof sent === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(sent) ? sent : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Structured JSON logs with a correlation id per request (taken from X-Request-Id when sent). */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.LOG_LEVEL,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: requestIdFor,
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url.replace(/([?&](sig|key|token)=)[^&]*/gi, '$1[redacted]') }),
      },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics' },
    },
  };
}
