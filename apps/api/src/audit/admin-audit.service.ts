import { Injectable, Logger } from '@nestjs/common';
import { AdminAuditRepository, type AdminAuditEntry } from '@spendguard/clickhouse/control-plane/admin-audit.repository';

/**
 * Writes admin audit entries without making the caller wait or fail: the call's
 * outcome is already decided when its entry is written. A write that fails is
 * logged (without details, which may hold user text) and counted.
 */
@Injectable()
export class AdminAuditService {
  private readonly logger = new Logger(AdminAuditService.name);
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly repository: AdminAuditRepository) {}

  record(entry: AdminAuditEntry): void {
    const write = this.repository.append(entry).catch((error: unknown) => {
      this.logger.error(
        `admin audit write failed actor=${entry.actor} action=${entry.action} requestId=${entry.requestId}: ${(error as Error).message}`,
      );
    });
    this.inFlight.add(write);
    void write.finally(() => this.inFlight.delete(write));
  }

  /** Waits for pending writes (shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
