import { Migration } from '@mikro-orm/migrations';

/**
 * Order events for integrators: the feed position of history entries (order_history.xid, filled by
 * PostgreSQL itself, so no insert statement changes), webhook subscriptions, their delivery outbox
 * and the dispatcher's fan-out cursor.
 */
export class Migration20261205020000 extends Migration {
  override async up(): Promise<void> {
    // Entries written before the feed existed keep xid 0 (the column's value for existing rows is
    // stored once, no table rewrite, and the append-only trigger stays untouched): they come first
    // in the feed, each order's in sequence order. New entries get their transaction's id.
    this.addSql(`alter table "order_history" add column "xid" xid8 not null default '0';`);
    this.addSql(`alter table "order_history" alter column "xid" set default pg_current_xact_id();`);
    this.addSql(
      `create index "order_history_feed_index" on "order_history" ("xid", "order_id", "sequence");`,
    );

    this.addSql(`create type "webhook_delivery_status" as enum ('pending', 'sent', 'failed');`);
    this.addSql(
      `create table "webhook_subscriptions" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "url" varchar(2048) not null, "secret" text not null, "events" text[] not null, "description" varchar(500) null, "is_active" boolean not null default true, constraint "webhook_subscriptions_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "webhook_subscriptions_created_at_index" on "webhook_subscriptions" ("created_at");`,
    );
    this.addSql(
      `create table "webhook_deliveries" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "subscription_id" uuid not null, "event_id" uuid not null, "event_type" varchar(32) not null, "order_id" uuid not null, "sequence" int not null, "payload" jsonb not null, "status" "webhook_delivery_status" not null default 'pending', "attempts" int not null default 0, "last_error" text null, "response_status" int null, "next_attempt_at" timestamptz not null default now(), "sent_at" timestamptz null, constraint "webhook_deliveries_pkey" primary key ("id"), constraint "webhook_deliveries_attempts_check" check (attempts >= 0));`,
    );
    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_subscription_id_event_id_unique" unique ("subscription_id", "event_id");`,
    );
    this.addSql(
      `create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "status" = 'pending';`,
    );
    this.addSql(
      `create index "webhook_deliveries_pending_order_index" on "webhook_deliveries" ("subscription_id", "order_id", "sequence") where "status" = 'pending';`,
    );
    this.addSql(
      `create index "webhook_deliveries_subscription_id_created_at_index" on "webhook_deliveries" ("subscription_id", "created_at");`,
    );
    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_subscription_id_foreign" foreign key ("subscription_id") references "webhook_subscriptions" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `create table "webhook_fanout_cursor" ("name" varchar(32) not null, "xid" xid8 not null, "order_id" uuid not null, "sequence" int not null, "updated_at" timestamptz not null default now(), constraint "webhook_fanout_cursor_pkey" primary key ("name"));`,
    );
    // Start after the entries that exist now: subscriptions only get events from their creation on.
    this.addSql(
      `insert into "webhook_fanout_cursor" ("name", "xid", "order_id", "sequence") values ('webhooks', '0', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 2147483647);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webhook_fanout_cursor" cascade;`);
    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);
    this.addSql(`drop table if exists "webhook_subscriptions" cascade;`);
    this.addSql(`drop type if exists "webhook_delivery_status";`);
    this.addSql(`drop index if exists "order_history_feed_index";`);
    this.addSql(`alter table "order_history" drop column if exists "xid";`);
  }
}
