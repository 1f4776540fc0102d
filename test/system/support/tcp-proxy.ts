import { createServer, connect, Server, Socket } from 'node:net';

export type ProxyMode = 'open' | 'refuse' | 'blackhole';

/**
 * A TCP proxy between the app and PostgreSQL that a test can break: `cut()` drops every open
 * connection and refuses new ones (the database is unreachable), `blackhole()` accepts connections
 * and never answers (a network partition), `latency` delays every chunk in both directions (a slow
 * network or an overloaded server), `restore()` lets traffic through again.
 */
export class TcpProxy {
  latencyMs = 0;
  private mode: ProxyMode = 'open';
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** `url` with its host and port replaced by this proxy's. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Connections currently open through the proxy (client side). */
  get openConnections(): number {
    return this.clients.size;
  }

  cut(): void {
    this.mode = 'refuse';
    this.dropAll();
  }

  blackhole(): void {
    this.mode = 'blackhole';
    this.dropAll();
  }

  restore(): void {
    this.mode = 'open';
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: Socket): void {
    this.track(client);
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    if (this.mode === 'blackhole') {
      client.on('data', () => undefined); // swallow everything, answer nothing
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Forwards `from` to `to`, each chunk `latencyMs` later; equal delays keep the order. */
  private pipe(from: Socket, to: Socket): void {
    from.on('data', (chunk) => {
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
      else send();
    });
  }
}

/** Host and port of a postgres:// URL. */
export function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 5432) };
}
