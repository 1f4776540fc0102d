import { performance } from 'node:perf_hooks';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { AppConfig } from '../config/app-config';
import { AuthStateCache } from './auth-state.cache';

/** The channel the users trigger announces changes on (Migration20261205010000). */
export const AUTH_CHANGE_CHANNEL = 'oms_user_auth';
/** How often the listening connection proves it is alive. */
export const HEARTBEAT_INTERVAL_MS = 2000;
/**
 * How long after a heartbeat (or LISTEN) was sent the cache is trusted without a newer one. A
 * connection that dies without a word is thus noticed, and the cache dropped, within this time.
 */
export const TRUST_WINDOW_MS = 5000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
const CLOSE_TIMEOUT_MS = 1000;

/**
 * Keeps one direct connection (not from the pool: a pooled connection goes back to the pool, and
 * a transaction-mode pooler such as PgBouncer does not carry LISTEN) listening on
 * `oms_user_auth`, and drops the cache entry of every user announced there. While it is not
 * listening the cache is not used (AuthStateCache.distrust); when it listens again it starts from
 * an empty cache, since announcements made meanwhile were missed. Reconnects with backoff.
 */
@Injectable()
export class AuthChangeListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('AuthCache');
  private client?: Client;
  /** The connection being opened, closed too if the app stops meanwhile. */
  private connecting?: Client;
  private stopped = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatInFlight = false;

  constructor(
    private readonly config: AppConfig,
    private readonly cache: AuthStateCache,
  ) {}

  /** Not awaited: the app starts (asking the database for every request) while this connects. */
  onApplicationBootstrap(): void {
    void this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    const clients = [this.client, this.connecting];
    this.client = undefined;
    this.cache.distrust();
    await Promise.all(clients.map((client) => client && closeQuietly(client)));
  }

  /** True while the cache may answer (for the health of the app and tests). */
  get listening(): boolean {
    return this.client !== undefined && this.cache.isTrusted();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const appName = process.env.PGAPPNAME;
    const client = new Client({
      connectionString: this.config.get('DATABASE_LISTEN_URL') || this.config.get('DATABASE_URL'),
      application_name: appName ? `${appName}-auth-listener` : 'oms-auth-listener',
      keepAlive: true,
      connectionTimeoutMillis: 5000,
    });
    // Each connection is given up once, whichever of its failures is reported first.
    let gone = false;
    const lose = (error?: Error) => {
      if (gone) return;
      gone = true;
      this.lost(client, error);
    };
    client.on('notification', (message: Notification) => {
      if (message.channel === AUTH_CHANGE_CHANNEL && message.payload) this.cache.invalidate(message.payload);
    });
    client.on('error', lose);
    client.on('end', () => lose());
    this.connecting = client;
    try {
      await client.connect();
      const sentAt = performance.now();
      await client.query(`listen ${AUTH_CHANGE_CHANNEL}`);
      if (this.stopped || gone) {
        lose();
        return;
      }
      // Whatever changed while nobody listened is unknown: start from nothing.
      this.cache.invalidateAll();
      this.client = client;
      this.cache.trustUntil(sentAt + TRUST_WINDOW_MS);
      if (this.failures > 0) this.log.log('Listening for user changes again; the auth cache is in use');
      this.failures = 0;
      this.heartbeatTimer = setInterval(() => void this.heartbeat(client, lose), HEARTBEAT_INTERVAL_MS);
      this.heartbeatTimer.unref();
    } catch (error) {
      lose(error as Error);
    } finally {
      if (this.connecting === client) this.connecting = undefined;
    }
  }

  /**
   * PostgreSQL sends an idle listener its notifications as they commit, and pending ones before it
   * answers a query: once `select 1` is answered, every change committed before it was sent has
   * been heard.
   */
  private async heartbeat(client: Client, lose: (error?: Error) => void): Promise<void> {
    if (this.heartbeatInFlight || client !== this.client) return;
    this.heartbeatInFlight = true;
    const sentAt = performance.now();
    const timeout = setTimeout(() => lose(new Error('heartbeat timed out')), TRUST_WINDOW_MS);
    try {
      await client.query('select 1');
      if (client === this.client) this.cache.trustUntil(sentAt + TRUST_WINDOW_MS);
    } catch (error) {
      lose(error as Error);
    } finally {
      clearTimeout(timeout);
      this.heartbeatInFlight = false;
    }
  }

  private lost(client: Client, error?: Error): void {
    if (client === this.client) {
      this.client = undefined;
      clearInterval(this.heartbeatTimer);
      this.cache.distrust();
    }
    if (this.stopped) return; // the shutdown closes it
    void closeQuietly(client);
    if (this.failures === 0) {
      this.log.warn(
        `Not listening for user changes (${error?.message ?? 'connection closed'}); every request asks the database until it is back`,
      );
    }
    this.failures++;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
    this.reconnectTimer = setTimeout(() => void this.connect(), delay / 2 + Math.random() * (delay / 2));
    this.reconnectTimer.unref();
  }
}

/**
 * Ends a connection, politely if the server answers: a peer that is gone (network partition) would
 * keep `end()` waiting for TCP to give up, and hold up the app's shutdown.
 */
async function closeQuietly(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (!ended)
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
