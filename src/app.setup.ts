import { INestApplication, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { AppConfig } from './config/app-config';
import { mountQueueDashboard } from './operations/queue-dashboard';
import { callbackOutcomeRecorder } from './metrics/callback-outcome';
import { MetricsService } from './metrics/metrics.service';

export const CALLBACK_PATH = '/speechace/callback';

/**
 * Everything about the HTTP app that is not a module: body parsers, validation, OpenAPI.
 * main.ts and the e2e tests both call this, so tests run the app exactly as production does.
 */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const http = app.getHttpAdapter().getInstance() as express.Express;
  http.disable('x-powered-by');
  http.set('trust proxy', 'loopback, linklocal, uniquelocal');
  http.set('query parser', 'simple');
  if (!config.runsApi) app.use(workerRoutesOnly);
  const metrics = app.get(MetricsService);
  app.use(CALLBACK_PATH, callbackOutcomeRecorder((outcome) => metrics.callbackAnswered(outcome)));
  // The callback keeps its raw bytes: it is stored as received and parsed tolerantly by IntakeService.
  app.use(CALLBACK_PATH, express.raw({ type: () => true, limit: config.CALLBACK_BODY_LIMIT }));
  app.use(express.json({ limit: '256kb' }));
  app.use(express.urlencoded({ extended: false, limit: '256kb' }));
  app.use(bodyParserErrors);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.enableShutdownHooks();
  mountQueueDashboard(app, config);

  const document = SwaggerModule.createDocument(app, openApiConfig());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer', example: 400 },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    error: { type: 'string' },
  },
  required: ['statusCode', 'message'],
};

export function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('speechace-grade-sync')
    .setDescription('Speechace speaking-test results into the Moodle gradebook, exactly once.')
    .setVersion('1')
    .addBearerAuth()
    .addGlobalResponse(
      { status: 400, description: 'Malformed request: the message names every problem', schema: ERROR_SCHEMA },
      { status: 401, description: 'No, unknown or revoked bearer token (admin API), or a wrong callback key', schema: ERROR_SCHEMA },
      { status: 403, description: 'The token may not do this (role or course limit)', schema: ERROR_SCHEMA },
      { status: 404, description: 'No such resource', schema: ERROR_SCHEMA },
      { status: 500, description: 'Unexpected error; the answer carries the request id to look up in the logs', schema: ERROR_SCHEMA },
    )
    .build();
}

/** A ROLE=worker process answers HTTP only for its health and metrics, so it can be probed and scraped. */
function workerRoutesOnly(req: Request, res: Response, next: NextFunction): void {
  if (req.path.startsWith('/health/') || req.path === '/metrics') return next();
  res.status(404).json({ statusCode: 404, message: 'This is a worker process (ROLE=worker): it serves only /health/* and /metrics' });
}

/** body-parser errors (too large, bad JSON, bad encoding) as JSON 4xx instead of an HTML page. */
function bodyParserErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = error as { status?: number; type?: string; message?: string; limit?: number };
  if (!e || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return next(error);
  const message =
    e.type === 'entity.too.large'
      ? `The request body is larger than the limit of ${e.limit} bytes`
      : e.type === 'entity.parse.failed'
        ? `The request body is not valid JSON: ${e.message}`
        : (e.message ?? 'Bad request');
  res.status(e.status).json({ statusCode: e.status, message, error: e.type ?? 'Bad Request' });
}
