import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private readonly client?: Redis;

  constructor(
    private readonly indicator: HealthIndicatorService,
    config: AppConfig,
  ) {
    const url = config.get('REDIS_URL');
    if (url) {
      // Loaded only when configured: an instance without Redis never needs ioredis.
      const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
      this.client = new RedisClient(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
      });
    }
  }

  async check(key: string) {
    const indicator = this.indicator.check(key);
    if (!this.client) return indicator.up({ configured: false });
    try {
      if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
      ]);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client && this.client.status !== 'end') this.client.disconnect();
  }
}
