'use strict';
/* global fetch, setTimeout */
// `--webhooks=N`: OMS runs with N active webhook subscriptions to every event and its dispatcher on
// (JOBS_ENABLED=true, as production runs it: the other jobs run too, the reservation expiry sweep,
// the customer notifications and the idempotency purge, which find little to do on the bench data), delivering to a receiver on 127.0.0.1 that answers 200
// at once. Compared with a run without the option, it shows what integrators' events cost the write
// commands: the statements of a request (`--trace-sql`) and its throughput while deliveries flow.
const http = require('node:http');
const { randomBytes } = require('node:crypto');

/** The settings OMS needs to deliver to a receiver on this machine. */
function webhookEnv() {
  return {
    JOBS_ENABLED: 'true',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('hex'),
  };
}

/** A receiver that counts the deliveries it gets and answers each with 200. */
function startReceiver() {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200).end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        received: () => received,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

/** Waits until the fan-out cursor has reached the newest history entry (at most 30 s). */
async function untilFannedOut(db) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const { rows } = await db.query(
      `select (c.xid, c.order_id, c.sequence) >= (h.xid, h.order_id, h.sequence) as done
         from webhook_fanout_cursor c,
              (select xid, order_id, sequence from order_history
                order by xid desc, order_id desc, sequence desc limit 1) h`,
    );
    if (rows[0]?.done) return;
    if (Date.now() > deadline)
      throw new Error('the webhook fan-out did not reach the end of the history within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** N subscriptions to every event, each to its own path of the receiver. */
async function subscribe(baseUrl, api, adminToken, receiverUrl, count) {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${baseUrl}${api}/webhook-subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({
        url: `${receiverUrl}/subscriber-${i}`,
        secret: randomBytes(32).toString('base64'),
        events: ['*'],
      }),
    });
    if (response.status !== 201) {
      throw new Error(`webhook subscription: ${response.status} ${await response.text()}`);
    }
  }
}

/** Removes this run's subscriptions and their deliveries. */
async function unsubscribe(db, receiverUrl) {
  await db.query(
    `delete from webhook_deliveries where subscription_id in
       (select id from webhook_subscriptions where url like $1 || '/%')`,
    [receiverUrl],
  );
  await db.query(`delete from webhook_subscriptions where url like $1 || '/%'`, [receiverUrl]);
}

module.exports = { webhookEnv, startReceiver, subscribe, untilFannedOut, unsubscribe };
