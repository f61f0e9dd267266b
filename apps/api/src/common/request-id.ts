import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestWithId extends Request {
  requestId?: string;
}

/**
 * The request's id: the client's `X-Request-Id` when it is a safe token, else a new
 * UUID. Echoed in the response header so a caller can quote it.
 */
export function requestIdOf(request: RequestWithId, response?: Response): string {
  if (!request.requestId) {
    const header = request.headers['x-request-id'];
    const given = Array.isArray(header) ? header[0] : header;
    request.requestId = given && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    response?.setHeader('x-request-id', request.requestId);
  }
  return request.requestId;
}
