import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODE_HEADER, ERROR_CONTENT_TYPE, errorText } from '../core/api-error-wire.js';
import { BloxError } from '../core/errors.js';

/**
 * The one error of every Blox API: a status, a code and a message, written as v0.3 wrote errors
 * (the message as text, see core/api-error-wire.ts) with the code in a header. Messages carried
 * over from Blox v0.3 keep their exact text.
 */
export interface ErrorBody {
  code: string;
  message: string;
}

/** An error answer in a route's schema (so the OpenAPI document describes it). */
export const errorResponseSchema = {
  description: `The message as text with a newline, as Blox v0.3 wrote it; the error's code in the ${ERROR_CODE_HEADER} header`,
  headers: { [ERROR_CODE_HEADER]: { type: 'string', description: 'What went wrong, e.g. InvalidStatus' } },
  content: { 'text/plain': { schema: { type: 'string' } } },
} as const;

export class HttpError extends BloxError {
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, { status, details });
  }
}

export const badRequest = (message: string, code = 'BadRequest') => new HttpError(400, code, message);
export const notFound = (message: string, code = 'NotFound') => new HttpError(404, code, message);
export const conflict = (message: string, code = 'Conflict') => new HttpError(409, code, message);
export const gone = (message: string, code = 'Gone') => new HttpError(410, code, message);

export const INTERNAL_ERROR_MESSAGE = 'Unexpected internal server error';

export function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply
    .code(status)
    .header(ERROR_CODE_HEADER, body.code)
    .header('x-content-type-options', 'nosniff')
    .type(ERROR_CONTENT_TYPE)
    .send(errorText(body.message));
}

/** Maps every error a route throws to the one shape; unexpected ones are logged and hidden. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(
    (error: FastifyError | BloxError | Error, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof BloxError) {
        if (error.status >= 500) request.log.error({ err: error }, 'request failed');
        return sendError(reply, error.status, { code: error.code, message: error.message });
      }
      const fe = error as FastifyError;
      if (fe.validation) {
        return sendError(reply, 400, { code: 'BadRequest', message: validationMessage(fe) });
      }
      if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return sendError(reply, fe.statusCode, { code: fe.code ?? 'BadRequest', message: fe.message });
      }
      request.log.error({ err: error }, 'unexpected error');
      return sendError(reply, 500, { code: 'InternalError', message: INTERNAL_ERROR_MESSAGE });
    },
  );
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      code: 'NotFound',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}

function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const where = error.validationContext ?? 'request';
  const path = first.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  const params = first.params as Record<string, unknown> | undefined;
  if (first.keyword === 'required' && params?.missingProperty)
    return `${where}.${String(params.missingProperty)} is required`;
  if (first.keyword === 'additionalProperties' && params?.additionalProperty)
    return `${where}.${String(params.additionalProperty)} is not a known field`;
  return `${where}${path ? '.' + path : ''} ${first.message ?? 'is invalid'}`;
}
