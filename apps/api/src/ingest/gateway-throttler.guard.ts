import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { GatewayRequest } from '../auth/gateway-auth.guard';

export const INGEST_THROTTLER = 'ingest';
export const GATEWAY_TRACKER_PREFIX = 'gateway:';

/** Ingest limits count per gateway (set by GatewayAuthGuard, which runs first), not per client address. */
@Injectable()
export class GatewayThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    return `${GATEWAY_TRACKER_PREFIX}${(request as unknown as GatewayRequest).gatewayId ?? 'unknown'}`;
  }
}
