import { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parse as parseQuery } from 'node:querystring';
import { HttpException, Injectable } from '@nestjs/common';
import express from 'express';
import { PinoLogger } from 'nestjs-pino';
import proxyAddr from 'proxy-addr';
import { bodyParserErrorAnswer } from '../common/body-parser-errors';
import { requestIdFor } from '../common/logger-options';
import { AppConfig } from '../config/app-config';
import { callbackOutcome } from '../metrics/callback-outcome';
import { MetricsService } from '../metrics/metrics.service';
import { IntakeService } from './intake.service';
import { CallbackRateLimiter } from './rate-limit/callback-rate-limiter';
import { QUARANTINED_STATUSES } from '../quarantine/quarantine-statuses';
import { QuarantineService } from '../quarantine/quarantine.service';

export const CALLBACK_PATH = '/speechace/callback';
/** Case-insensitive, with or without a trailing slash: how Express matched the route. */
const CALLBACK_ROUTE = /^\/speechace\/callback\/?$/i;

interface Answer {
  status: number;
  body: unknown;
}

type BodyReader = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * POST /speechace/callback, answered straight from node:http, ahead of Express and Nest
 * (mountCallbackRoute). It is the one hot path, an exam's burst of callbacks, and Express's router,
 * Nest's guard pipeline and the per-request logger context cost most of its CPU (BENCHMARKS.md).
 * It keeps what the framework gave it: the same body parser and limits, the client address as
 * Express reads it behind a proxy, X-Request-Id, the per-address rate limit, the callback metrics,
 * one log line per request and the JSON error shape of every other route.
 */
@Injectable()
export class CallbackRoute {
  private readonly readBody: BodyReader;
  /** TRUSTED_PROXIES: whose X-Forwarded-For is believed; Express's trust proxy is set the same way (app.setup.ts). */
  private readonly trustProxy: (address: string, hop: number) => boolean;

  constructor(
    private readonly intake: IntakeService,
    private readonly limiter: CallbackRateLimiter,
    private readonly metrics: MetricsService,
    private readonly logger: PinoLogger,
    private readonly quarantine: QuarantineService,
    config: AppConfig,
  ) {
    this.logger.setContext(CallbackRoute.name);
    // The callback keeps its raw bytes: it is stored as received and parsed tolerantly by IntakeService.
    this.readBody = express.raw({ type: () => true, limit: config.CALLBACK_BODY_LIMIT }) as unknown as BodyReader;
    this.trustProxy = proxyAddr.compile(config.trustedProxies);
  }

  /** The sender's address: the socket's, or X-Forwarded-For's as far back as TRUSTED_PROXIES vouch for it. */
  clientAddress(req: IncomingMessage): string {
    return proxyAddr(req, this.trustProxy);
  }

  matches(req: IncomingMessage): boolean {
    if (req.method !== 'POST' || !req.url) return false;
    const query = req.url.indexOf('?');
    return CALLBACK_ROUTE.test(query === -1 ? req.url : req.url.slice(0, query));
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res).catch((error: unknown) => {
      // serve() answers every failure itself; this is the last guard, so a bug never hangs a sender.
      this.logger.error({ err: error }, 'the callback route failed to answer');
      if (!res.headersSent) send(res, 500, { statusCode: 500, message: 'Internal error' });
      else res.destroy();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = requestIdFor(req, res);
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const rawQuery = queryAt === -1 ? null : url.slice(queryAt + 1);
    let answer: Answer;
    let rawBody: Buffer | null = null;
    let sourceIp: string | null = null;
    try {
      sourceIp = this.clientAddress(req);
      await this.limiter.admit(sourceIp, res);
      rawBody = await this.body(req, res);
      const receipt = await this.intake.receive({
        rawBody,
        contentType: req.headers['content-type'],
        query: rawQuery === null ? {} : (parseQuery(rawQuery) as Record<string, unknown>),
        rawQuery,
        sourceIp,
        requestId,
      });
      answer = { status: receipt.duplicate ? 200 : 202, body: receipt };
    } catch (error) {
      answer = this.errorAnswer(error, req, requestId);
      // Off the path of good callbacks: only a body refused for what it holds is kept.
      if (rawBody && QUARANTINED_STATUSES.has(answer.status)) {
        await this.quarantine.keep({ rawBody, contentType: req.headers['content-type'], rawQuery, sourceIp, requestId }, answer.status, answerMessage(answer));
      }
    }
    send(res, answer.status, answer.body);
    this.metrics.callbackAnswered(callbackOutcome(answer.status));
    if (this.logger.logger.isLevelEnabled('info')) {
      const responseTime = Math.round(performance.now() - startedAt);
      // The answered ServerResponse itself: pino's res serializer logs statusCode only once headers are sent.
      this.logger.info({ req: { id: requestId, method: req.method, url }, res, responseTime }, 'request completed');
    }
  }

  private body(req: IncomingMessage, res: ServerResponse): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.readBody(req, res, (error?: unknown) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const body = (req as IncomingMessage & { body?: unknown }).body;
        resolve(Buffer.isBuffer(body) ? body : Buffer.alloc(0));
      });
    });
  }

  /** The JSON every other route answers with (AllExceptionsFilter): HTTP errors as they are, anything else a logged 500. */
  private errorAnswer(error: unknown, req: IncomingMessage, requestId: string): Answer {
    if (error instanceof HttpException) {
      const body = error.getResponse();
      return { status: error.getStatus(), body: typeof body === 'string' ? { statusCode: error.getStatus(), message: body } : body };
    }
    const parserAnswer = bodyParserErrorAnswer(error);
    if (parserAnswer) return parserAnswer;
    this.logger.error({ err: error, req: { id: requestId, method: req.method, url: req.url ?? '' } }, 'unhandled error on the callback route');
    return { status: 500, body: { statusCode: 500, message: 'Internal error', requestId } };
  }
}

function answerMessage(answer: Answer): string {
  const message = (answer.body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(message ?? answer.body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/** Puts `route` in front of the framework's request listener on `server`; every other request goes on to Express. */
export function mountCallbackRoute(server: Server, route: CallbackRoute): void {
  const framework = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (route.matches(req)) return route.handle(req, res);
    for (const listener of framework) listener(req, res);
  });
}
