import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

/** Liveness of the worker process, for orchestrators. */
@Controller()
export class WorkerHealthController {
  constructor(private readonly health: HealthCheckService) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }
}
