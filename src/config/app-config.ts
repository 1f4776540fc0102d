import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EnvironmentVariables } from './env.validation';

/**
 * Typed access to the validated settings. Settings are validated once at start and do not change
 * while the app runs, so each is looked up once: ConfigService looks an unset optional setting up
 * in process.env on every call (a request that reads one paid for it each time).
 */
@Injectable()
export class AppConfig {
  private readonly values = new Map<keyof EnvironmentVariables, unknown>();

  constructor(private readonly config: ConfigService<EnvironmentVariables, true>) {}

  get<K extends keyof EnvironmentVariables>(key: K): EnvironmentVariables[K] {
    if (this.values.has(key)) return this.values.get(key) as EnvironmentVariables[K];
    const value = this.config.get(key, { infer: true });
    this.values.set(key, value);
    return value;
  }
}
