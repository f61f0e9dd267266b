import { ForbiddenException, HttpException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { AdminAuditService } from '../audit/admin-audit.service';
import { requestIdOf, type RequestWithId } from '../common/request-id';
import { ADMIN_ACTIONS, ADMIN_ACTION_METADATA, scopesAllow, type AdminAction } from './admin-actions';
import { authenticateBearer, digestTokenMap } from './bearer-token';

/** What the audit entry of an admin call will say; handlers add details. */
export interface AdminCallContext {
  actor: string;
  action: AdminAction;
  target: string;
  details: Record<string, unknown>;
}

export interface AdminRequest extends RequestWithId {
  admin?: AdminCallContext;
}

/** Route parameters that name the target of an admin call, in order of preference. */
const TARGET_PARAMS = ['keyId', 'incidentId', 'accountId', 'endpointId'] as const;

/**
 * Authenticates admin calls (bearer token from ADMIN_TOKENS), authorises the route's
 * action against the admin's scopes (ADMIN_SCOPES; unlisted admins may do everything)
 * and arranges for one `admin_audit` entry per call, written when the response is
 * finished — so 401 and 403 are audited as well as successes and handler errors.
 * Tokens never appear in the entry: only the admin's name.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly tokens: Map<string, string>;
  private readonly scopes: Map<string, string[]>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
    private readonly audit: AdminAuditService,
  ) {
    this.tokens = digestTokenMap(config.ADMIN_TOKENS);
    this.scopes = config.ADMIN_SCOPES ?? new Map<string, string[]>();
    const known = new Set<string>(ADMIN_ACTIONS);
    for (const [name, scopes] of this.scopes) {
      for (const scope of scopes) {
        const area = scope.endsWith('.*') ? scope.slice(0, -2) : undefined;
        const ok = scope === '*' || scope === 'read' || known.has(scope) || (area && ADMIN_ACTIONS.some((a) => a.startsWith(`${area}.`)));
        if (!ok) throw new Error(`ADMIN_SCOPES: unknown scope "${scope}" for ${name}; known: *, read, ${ADMIN_ACTIONS.join(', ')} and <area>.*`);
      }
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const action = this.reflector.get<AdminAction | undefined>(ADMIN_ACTION_METADATA, context.getHandler());
    if (!action) throw new Error(`admin route ${request.method} ${request.path} has no @RequiresAdminAction`);
    const requestId = requestIdOf(request, response);
    const call: AdminCallContext = { actor: 'anonymous', action, target: targetOf(request), details: {} };
    request.admin = call;
    const startedAt = Date.now();
    response.once('close', () => {
      this.audit.record({
        at: startedAt,
        actor: call.actor,
        action: call.action,
        target: call.target,
        requestId,
        outcome: outcomeOf(response.statusCode, response.writableFinished),
        details: { method: request.method, path: request.path, status: response.statusCode, ip: request.ip ?? '', ...call.details },
      });
    });

    try {
      call.actor = authenticateBearer(request, this.tokens, 'admin');
    } catch (error) {
      call.details.error = error instanceof HttpException ? error.message : 'authentication failed';
      throw error;
    }
    const scopes = this.scopes.get(call.actor);
    if (scopes && !scopesAllow(scopes, action)) {
      call.details.error = `admin ${call.actor} may not ${action}`;
      throw new ForbiddenException(`admin "${call.actor}" is not allowed to ${action} (scopes: ${scopes.join(', ')})`);
    }
    return true;
  }
}

function targetOf(request: AdminRequest): string {
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  for (const name of TARGET_PARAMS) {
    const value = params[name];
    if (value) return `${name.replace(/Id$/, '')}:${value.slice(0, 256)}`;
  }
  return '';
}

function outcomeOf(status: number, finished: boolean): string {
  if (!finished) return 'aborted';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'denied';
  if (status >= 500) return 'error';
  if (status >= 400) return 'rejected';
  return 'ok';
}
