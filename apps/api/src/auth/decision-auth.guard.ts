import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { authenticateBearer, digestTokenMap } from './bearer-token';

/**
 * The decision endpoint is asked by gateways (INGEST_TOKENS) and admins (ADMIN_TOKENS).
 * It is the hot path: one digest and one map lookup, no audit entry (reads only).
 */
@Injectable()
export class DecisionAuthGuard implements CanActivate {
  private readonly tokens: Map<string, string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.tokens = new Map<string, string>();
    for (const [digest, name] of digestTokenMap(config.INGEST_TOKENS)) this.tokens.set(digest, `gateway:${name}`);
    for (const [digest, name] of digestTokenMap(config.ADMIN_TOKENS)) this.tokens.set(digest, `admin:${name}`);
  }

  canActivate(context: ExecutionContext): boolean {
    authenticateBearer(context.switchToHttp().getRequest<Request>(), this.tokens, 'gateway or admin');
    return true;
  }
}
