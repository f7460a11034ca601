import { Server } from 'node:http';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { AppConfig } from './config/app-config';
import { mountQueueDashboard } from './operations/queue-dashboard';
import { bodyParserErrorAnswer } from './common/body-parser-errors';
import { mountConsole } from './console/console.static';
import { ERROR_SCHEMA } from './common/error-schema';
import { addCallbackOperation } from './intake/callback.openapi';
import { CallbackRoute, mountCallbackRoute } from './intake/callback.route';

/**
 * Everything about the HTTP app that is not a module: body parsers, validation, OpenAPI.
 * main.ts and the e2e tests both call this, so tests run the app exactly as production does.
 */
export function configureApp(app: INestApplication, config: AppConfig): void {
  const http = app.getHttpAdapter().getInstance() as express.Express;
  http.disable('x-powered-by');
  http.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false);
  http.set('query parser', 'simple');
  if (config.runsApi) {
    mountCallbackRoute(app.getHttpServer() as Server, app.get(CallbackRoute));
    mountConsole(http);
  } else app.use(workerRoutesOnly);
  app.use(express.json({ limit: '256kb' }));
  app.use(express.urlencoded({ extended: false, limit: '256kb' }));
  app.use(bodyParserErrors);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  app.enableShutdownHooks();
  mountQueueDashboard(app, config);

  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

/** The API's OpenAPI document: every controller's routes, plus the callback route that is served ahead of Nest. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, openApiConfig());
  addCallbackOperation(document);
  return document;
}

function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('speechace-grade-sync')
    .setDescription('Speechace speaking-test results into the Moodle gradebook, exactly once.')
    .setVersion('1')
    // package.json's license: npm's UNLICENSED, which the linked page defines (no rights granted to others).
    .setLicense('UNLICENSED (proprietary)', 'https://docs.npmjs.com/cli/v11/configuring-npm/package-json#license')
    // Relative, so the Swagger UI at /docs and any client reading docs-json talk to the host that served it.
    .addServer('/', 'This service, where it is deployed')
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
  const answer = bodyParserErrorAnswer(error);
  if (!answer) return next(error);
  res.status(answer.status).json(answer.body);
}
