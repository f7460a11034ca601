import { INestApplication, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { AppConfig } from './config/app-config';
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

  const document = SwaggerModule.createDocument(app, openApiConfig());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

export function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('speechace-grade-sync')
    .setDescription('Speechace speaking-test results into the Moodle gradebook, exactly once.')
    .setVersion('1')
    .addBearerAuth()
    .build();
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
