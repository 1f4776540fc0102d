import { createServer, IncomingMessage, Server } from 'node:http';
import { verifyWebhookSignature } from '../../../src/notes/webhook-signature';

/**
 * A customer-notification webhook endpoint for the tests: verifies each signature and counts the
 * deliveries per notification id (X-OMS-Notification-Id).
 */
export class WebhookReceiver {
  readonly deliveries = new Map<string, number>();
  badSignatures = 0;
  url = '';
  /** How long to wait before answering (a slow customer endpoint). */
  delayMs = 0;
  /** Requests received so far, answered or not. */
  received = 0;
  private server?: Server;

  static async start(secret: string): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    const server = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => void answer());
      const answer = async () => {
        receiver.received++;
        if (receiver.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, receiver.delayMs));
        const id = String(req.headers['x-oms-notification-id'] ?? '');
        const valid = verifyWebhookSignature({
          secret,
          signature: req.headers['x-oms-signature'] as string | undefined,
          timestamp: req.headers['x-oms-timestamp'] as string | undefined,
          notificationId: id,
          rawBody: raw,
        });
        if (!valid) {
          receiver.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        receiver.deliveries.set(id, (receiver.deliveries.get(id) ?? 0) + 1);
        res.writeHead(204).end();
      };
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    receiver.server = server;
    receiver.url = `http://127.0.0.1:${port}/oms-notifications`;
    return receiver;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
