import type { LogLevel } from '@nestjs/common';

const ORDER: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Nest log levels at or above `lowest` (LOG_LEVEL). */
export function logLevelsFrom(lowest: 'error' | 'warn' | 'log' | 'debug' | 'verbose'): LogLevel[] {
  return ORDER.slice(0, ORDER.indexOf(lowest) + 1);
}
