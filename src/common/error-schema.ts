/** The JSON of every error answer (AllExceptionsFilter, body-parser errors, the callback route), for OpenAPI. */
export const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer', example: 400 },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    error: { type: 'string' },
  },
  required: ['statusCode', 'message'],
};
