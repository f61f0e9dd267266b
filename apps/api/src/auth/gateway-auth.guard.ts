import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '@spendguard/config';
import { authenticateBearer, digestTokenMap } from './bearer-token';

export interface GatewayRequest extends Request {
  gatewayId?: string;
}

/** Ingest is for gateways holding a token from INGEST_TOKENS. */
@Injectable()
export class GatewayAuthGuard implements CanActivate {
  private readonly tokens: Map<string, string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.tokens = digestTokenMap(config.INGEST_TOKENS);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    request.gatewayId = authenticateBearer(request, this.tokens, 'gateway');
    return true;
  }
}
