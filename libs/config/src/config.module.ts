import { Global, Module } from '@nestjs/common';
import { loadConfig } from './load-config';
import type { AppConfig } from './config.schema';

/** Injection token of the validated, cached {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

let cached: AppConfig | undefined;

/** The one place that reads process.env. */
export function appConfig(): AppConfig {
  cached ??= loadConfig(process.env);
  return cached;
}

@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: appConfig }],
  exports: [APP_CONFIG],
})
export class ConfigModule {
  /** A module bound to an explicit config (tests, several apps in one process). */
  static forConfig(config: AppConfig) {
    return { module: ConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}
