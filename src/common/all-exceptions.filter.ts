import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';

const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';

/** HTTP exceptions pass through; constraint violations become 409; anything else is a logged 500 with the request id. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: unknown }>();
    if (response.headersSent) return;
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      response.status(exception.getStatus()).json(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const code = (exception as { driverError?: { code?: string } })?.driverError?.code;
    if (exception instanceof QueryFailedError && (code === PG_UNIQUE_VIOLATION || code === PG_FOREIGN_KEY_VIOLATION)) {
      const message = code === PG_UNIQUE_VIOLATION ? 'That already exists' : 'That is still referenced by other records';
      response.status(HttpStatus.CONFLICT).json({ statusCode: 409, message, error: 'Conflict' });
      return;
    }
    const requestId = String(request.id ?? '');
    this.logger.error(`unhandled error on ${request.method} ${request.path} (request ${requestId})`, exception instanceof Error ? exception.stack : String(exception));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ statusCode: 500, message: 'Internal error', requestId });
  }
}
