import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_SCHEMA } from '../common/error-schema';
import { CALLBACK_PATH } from './callback.route';

type Operation = NonNullable<OpenAPIObject['paths'][string]['post']>;

const CALLBACK_BODY = {
  type: 'object',
  required: ['key', 'courseId', 'quizId', 'score'],
  properties: {
    key: { type: 'string', description: "The assessment's callback key (checked against its stored hashes)" },
    courseId: { oneOf: [{ type: 'string' }, { type: 'integer' }], description: 'Speechace course id: finds the assessment' },
    quizId: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    userId: { oneOf: [{ type: 'string' }, { type: 'integer' }], description: 'The LMS user, unless the query has userid' },
    score: {
      type: 'object',
      required: ['overall'],
      properties: Object.fromEntries(['overall', 'pronunciation', 'fluency', 'vocab', 'grammar'].map((f) => [f, { oneOf: [{ type: 'number' }, { type: 'string' }] }])),
    },
    reportUrl: { type: 'string', format: 'uri' },
    version: { type: 'string' },
  },
  example: { key: 'the-assessment-key', courseId: 'sa-course-1', quizId: 'quiz-7', userId: '42', score: { overall: 80 }, reportUrl: 'https://www.speechace.com/report/abc' },
};

const RECEIPT = {
  type: 'object',
  properties: {
    submissionId: { type: 'string', format: 'uuid' },
    duplicate: { type: 'boolean' },
    syncs: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, mappingId: { type: 'string' }, state: { type: 'string' } } } },
  },
};

const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const query = (name: string, description: string) => ({ name, in: 'query' as const, required: false, schema: { type: 'string' }, description });

/** The callback is served ahead of Nest (CallbackRoute), so its OpenAPI entry is written here rather than read off a controller. */
export function addCallbackOperation(document: OpenAPIObject): void {
  const operation: Operation = {
    operationId: 'speechaceCallback',
    tags: ['intake'],
    summary: "Speechace's results callback (app_score_submission_url)",
    description: 'Stores the result durably, then answers; the grade reaches the LMS through the queue. README "How a callback is read" has the rules.',
    security: [],
    parameters: [
      query('courseid', 'Only mappings of this LMS course id match'),
      query('testid', 'Only mappings whose target cmid equals it match (quizid is read the same way)'),
      query('userid', 'The LMS user; wins over the body userId'),
      query('mid', 'Signed callback URL: the mapping'),
      query('sig', 'Signed callback URL: HMAC over mid and userid'),
    ],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: CALLBACK_BODY },
        'application/x-www-form-urlencoded': { schema: { type: 'object', description: 'The same fields, scores as score[overall]=…' } },
      },
    },
    responses: {
      '202': { description: 'Stored; one sync per matching mapping', content: { 'application/json': { schema: RECEIPT } } },
      '200': { description: 'A repeat of a stored attempt: same submissionId, duplicate true, nothing created', content: { 'application/json': { schema: RECEIPT } } },
      '400': error('Malformed callback: the message names every problem'),
      '401': error('Missing or wrong key, or an altered signed URL'),
      '404': error('No assessment is registered for this courseId'),
      '413': error('Body larger than CALLBACK_BODY_LIMIT'),
      '415': error('Unsupported content encoding or charset'),
      '429': error('Too many callbacks from one address (CALLBACK_RATE_LIMIT_PER_MIN); see Retry-After'),
      '503': error('PostgreSQL could not store it; retry'),
    },
  };
  document.components = { ...document.components, schemas: { ...document.components?.schemas, Error: ERROR_SCHEMA } };
  document.paths[CALLBACK_PATH] = { post: operation };
}
