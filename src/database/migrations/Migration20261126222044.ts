import { Migration } from '@mikro-orm/migrations';

/**
 * The complete OMS data model (docs/architecture.md §3). Generated with `mikro-orm migration:create --initial`,
 * reviewed, and extended with what the ORM does not model: number sequences and the trigger that
 * makes order_history append-only in the database.
 */
export class Migration20261126222044 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "user_role" as enum ('admin', 'support', 'warehouse', 'customer');`);
    this.addSql(
      `create type "order_status" as enum ('pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'return_requested', 'returned', 'refunded');`,
    );
    this.addSql(
      `create type "order_history_action" as enum ('created', 'confirmed', 'payment_received', 'processing_started', 'packed', 'shipped', 'delivered', 'cancelled', 'refunded', 'status_changed', 'note_added', 'payment_failed', 'return_requested', 'returned', 'edited', 'assigned', 'inventory_reserved', 'inventory_released');`,
    );
    this.addSql(
      `create type "fulfillment_status" as enum ('pending', 'picking', 'packing', 'ready_to_ship', 'shipped', 'partially_fulfilled', 'fulfilled', 'cancelled');`,
    );
    this.addSql(`create type "release_reason" as enum ('released', 'expired', 'cancelled', 'fulfilled');`);
    this.addSql(`create type "notification_status" as enum ('pending', 'sent', 'failed');`);
    this.addSql(
      `create table "idempotency_keys" ("id" uuid not null, "user_id" varchar(64) not null, "key" varchar(255) not null, "method" varchar(10) not null, "path" varchar(1024) not null, "fingerprint" char(64) not null, "response_status" int null, "response_body" jsonb null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "idempotency_keys_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "idempotency_keys_expires_at_index" on "idempotency_keys" ("expires_at");`);
    this.addSql(
      `alter table "idempotency_keys" add constraint "idempotency_keys_user_key_unique" unique ("user_id", "key");`,
    );

    this.addSql(
      `create table "product_variants" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "sku" varchar(64) not null, "name" varchar(255) not null, constraint "product_variants_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "product_variants" add constraint "product_variants_sku_unique" unique ("sku");`,
    );

    this.addSql(
      `create table "stock_locations" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "code" varchar(32) not null, "name" varchar(255) not null, "is_active" boolean not null default true, constraint "stock_locations_pkey" primary key ("id"));`,
    );
    this.addSql(
      `alter table "stock_locations" add constraint "stock_locations_code_unique" unique ("code");`,
    );

    this.addSql(
      `create table "stock_levels" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "product_variant_id" uuid not null, "stock_location_id" uuid not null, "quantity_on_hand" int not null default 0, "quantity_reserved" int not null default 0, constraint "stock_levels_pkey" primary key ("id"), constraint stock_levels_reserved_within_on_hand_check check (quantity_reserved <= quantity_on_hand), constraint stock_levels_quantity_reserved_check check (quantity_reserved >= 0), constraint stock_levels_quantity_on_hand_check check (quantity_on_hand >= 0));`,
    );
    this.addSql(
      `create index "stock_levels_stock_location_id_index" on "stock_levels" ("stock_location_id");`,
    );
    this.addSql(
      `alter table "stock_levels" add constraint "stock_levels_variant_location_unique" unique ("product_variant_id", "stock_location_id");`,
    );

    this.addSql(
      `create table "users" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "email" varchar(254) not null, "password_hash" varchar(255) not null, "full_name" varchar(200) not null, "role" "user_role" not null, "is_active" boolean not null default true, constraint "users_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "users_role_index" on "users" ("role");`);
    this.addSql(`create unique index "users_email_lower_unique" on "users" (lower("email"));`);

    this.addSql(
      `create table "orders" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_number" varchar(32) not null, "customer_id" uuid not null, "status" "order_status" not null default 'pending', "currency" char(3) not null, "total_amount" numeric(12,2) not null default '0', "amount_paid" numeric(12,2) not null default '0', "amount_refunded" numeric(12,2) not null default '0', "shipping_address" jsonb not null, "version" int not null default 1, constraint "orders_pkey" primary key ("id"), constraint orders_amount_refunded_check check (amount_refunded >= 0 and amount_refunded <= amount_paid), constraint orders_amount_paid_check check (amount_paid >= 0), constraint orders_total_amount_check check (total_amount >= 0));`,
    );
    this.addSql(`alter table "orders" add constraint "orders_order_number_unique" unique ("order_number");`);
    this.addSql(`create index "orders_created_at_index" on "orders" ("created_at");`);
    this.addSql(
      `create index "orders_order_number_pattern_index" on "orders" ("order_number" text_pattern_ops);`,
    );
    this.addSql(`create index "orders_status_created_at_index" on "orders" ("status", "created_at");`);
    this.addSql(
      `create index "orders_customer_id_created_at_index" on "orders" ("customer_id", "created_at");`,
    );

    this.addSql(
      `create table "order_notes" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "note" text not null, "is_internal" boolean not null default true, "notify_customer" boolean not null default false, "notified_at" timestamptz null, "created_by_id" uuid not null, constraint "order_notes_pkey" primary key ("id"), constraint order_notes_notify_public_only_check check (not (is_internal and notify_customer)));`,
    );
    this.addSql(`create index "order_notes_created_by_id_index" on "order_notes" ("created_by_id");`);
    this.addSql(
      `create index "order_notes_order_id_created_at_index" on "order_notes" ("order_id", "created_at");`,
    );

    this.addSql(
      `create table "order_items" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "product_variant_id" uuid not null, "sku" varchar(64) not null, "name" varchar(255) not null, "quantity" int not null, "unit_price" numeric(12,2) not null, "quantity_returned" int not null default 0, constraint "order_items_pkey" primary key ("id"), constraint order_items_quantity_returned_check check (quantity_returned >= 0 and quantity_returned <= quantity), constraint order_items_unit_price_check check (unit_price >= 0), constraint order_items_quantity_check check (quantity > 0));`,
    );
    this.addSql(
      `create index "order_items_product_variant_id_index" on "order_items" ("product_variant_id");`,
    );
    this.addSql(`create index "order_items_order_id_index" on "order_items" ("order_id");`);

    this.addSql(
      `create table "order_history" ("id" uuid not null, "order_id" uuid not null, "sequence" int not null, "action" "order_history_action" not null, "old_status" varchar(32) null, "new_status" varchar(32) null, "description" text not null, "performed_by_id" uuid null, "additional_data" jsonb null, "ip_address" varchar(45) null, "user_agent" varchar(512) null, "created_at" timestamptz not null default now(), "previous_hash" char(64) null, "hash" char(64) not null, constraint "order_history_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "order_history_performed_by_id_index" on "order_history" ("performed_by_id");`);
    this.addSql(
      `create index "order_history_action_created_at_index" on "order_history" ("action", "created_at");`,
    );
    this.addSql(`create index "order_history_created_at_index" on "order_history" ("created_at");`);
    this.addSql(
      `create index "order_history_order_id_created_at_index" on "order_history" ("order_id", "created_at");`,
    );
    this.addSql(
      `alter table "order_history" add constraint "order_history_order_id_sequence_unique" unique ("order_id", "sequence");`,
    );

    this.addSql(
      `create table "order_fulfillments" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "fulfillment_number" varchar(32) not null, "status" "fulfillment_status" not null default 'pending', "warehouse_location" varchar(64) not null, "assigned_to_id" uuid null, "items" jsonb not null, "box_size" varchar(32) null, "weight" numeric(10,3) null, "packing_materials" jsonb null, "picking_notes" text null, "packing_notes" text null, "assigned_at" timestamptz null, "picking_started_at" timestamptz null, "picking_completed_at" timestamptz null, "packing_started_at" timestamptz null, "packing_completed_at" timestamptz null, "shipped_at" timestamptz null, "fulfilled_at" timestamptz null, "cancelled_at" timestamptz null, "version" int not null default 1, constraint "order_fulfillments_pkey" primary key ("id"), constraint order_fulfillments_weight_check check (weight is null or weight >= 0));`,
    );
    this.addSql(
      `alter table "order_fulfillments" add constraint "order_fulfillments_fulfillment_number_unique" unique ("fulfillment_number");`,
    );
    this.addSql(
      `create index "order_fulfillments_warehouse_location_index" on "order_fulfillments" ("warehouse_location");`,
    );
    this.addSql(
      `create index "order_fulfillments_assigned_to_id_status_index" on "order_fulfillments" ("assigned_to_id", "status");`,
    );
    this.addSql(
      `create index "order_fulfillments_status_created_at_index" on "order_fulfillments" ("status", "created_at");`,
    );
    this.addSql(`create index "order_fulfillments_order_id_index" on "order_fulfillments" ("order_id");`);

    this.addSql(
      `create table "inventory_reservations" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "order_item_id" uuid not null, "product_variant_id" uuid not null, "stock_location_id" uuid not null, "quantity_reserved" int not null, "quantity_fulfilled" int not null default 0, "is_active" boolean not null default true, "expires_at" timestamptz null, "notes" text null, "reserved_at" timestamptz not null default now(), "released_at" timestamptz null, "fulfilled_at" timestamptz null, "release_reason" "release_reason" null, constraint "inventory_reservations_pkey" primary key ("id"), constraint inventory_reservations_quantity_fulfilled_check check (quantity_fulfilled >= 0 and quantity_fulfilled <= quantity_reserved), constraint inventory_reservations_quantity_reserved_check check (quantity_reserved > 0));`,
    );
    this.addSql(
      `create index "inventory_reservations_product_variant_id_index" on "inventory_reservations" ("product_variant_id");`,
    );
    this.addSql(
      `create index "inventory_reservations_order_item_id_index" on "inventory_reservations" ("order_item_id");`,
    );
    this.addSql(
      `create index "inventory_reservations_order_id_index" on "inventory_reservations" ("order_id");`,
    );
    this.addSql(
      `create index "inventory_reservations_active_expires_at_index" on "inventory_reservations" ("expires_at") where "is_active" and "expires_at" is not null;`,
    );
    this.addSql(
      `create index "inventory_reservations_active_variant_location_index" on "inventory_reservations" ("product_variant_id", "stock_location_id") where "is_active";`,
    );

    this.addSql(
      `create table "customer_notifications" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "order_id" uuid not null, "note_id" uuid null, "channel" varchar(32) not null, "payload" jsonb not null, "status" "notification_status" not null default 'pending', "attempts" int not null default 0, "last_error" text null, "next_attempt_at" timestamptz not null default now(), "sent_at" timestamptz null, constraint "customer_notifications_pkey" primary key ("id"), constraint customer_notifications_attempts_check check (attempts >= 0));`,
    );
    this.addSql(
      `create index "customer_notifications_note_id_index" on "customer_notifications" ("note_id");`,
    );
    this.addSql(
      `create index "customer_notifications_order_id_index" on "customer_notifications" ("order_id");`,
    );
    this.addSql(
      `create index "customer_notifications_status_created_at_index" on "customer_notifications" ("status", "created_at");`,
    );
    this.addSql(
      `create index "customer_notifications_due_index" on "customer_notifications" ("next_attempt_at") where "status" = 'pending';`,
    );

    this.addSql(
      `alter table "stock_levels" add constraint "stock_levels_product_variant_id_foreign" foreign key ("product_variant_id") references "product_variants" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "stock_levels" add constraint "stock_levels_stock_location_id_foreign" foreign key ("stock_location_id") references "stock_locations" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "orders" add constraint "orders_customer_id_foreign" foreign key ("customer_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "order_notes" add constraint "order_notes_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "order_notes" add constraint "order_notes_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "order_items" add constraint "order_items_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "order_items" add constraint "order_items_product_variant_id_foreign" foreign key ("product_variant_id") references "product_variants" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "order_history" add constraint "order_history_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "order_history" add constraint "order_history_performed_by_id_foreign" foreign key ("performed_by_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "order_fulfillments" add constraint "order_fulfillments_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "order_fulfillments" add constraint "order_fulfillments_assigned_to_id_foreign" foreign key ("assigned_to_id") references "users" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "inventory_reservations" add constraint "inventory_reservations_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "inventory_reservations" add constraint "inventory_reservations_order_item_id_foreign" foreign key ("order_item_id") references "order_items" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "inventory_reservations" add constraint "inventory_reservations_product_variant_id_foreign" foreign key ("product_variant_id") references "product_variants" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "inventory_reservations" add constraint "inventory_reservations_stock_location_id_foreign" foreign key ("stock_location_id") references "stock_locations" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "customer_notifications" add constraint "customer_notifications_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "customer_notifications" add constraint "customer_notifications_note_id_foreign" foreign key ("note_id") references "order_notes" ("id") on update cascade on delete set null;`,
    );
    // Human-readable numbers without races: ORD-2026-000001, FUL-2026-000001.
    this.addSql(`create sequence "order_number_seq" as bigint start 1;`);
    this.addSql(`create sequence "fulfillment_number_seq" as bigint start 1;`);

    // order_history is append-only. A DELETE reaching it through the cascade of its order
    // (pg_trigger_depth() > 1: fired by the foreign key's own trigger) is the one exception, so
    // that erasing an order stays possible; nothing else may change or remove an entry.
    this.addSql(`create function "order_history_append_only"() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and pg_trigger_depth() > 1 then
    return null;
  end if;
  raise exception 'order_history is append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end;
$$;`);
    // Statement level, so that even an UPDATE matching no row is refused.
    this
      .addSql(`create trigger "order_history_append_only" before update or delete or truncate on "order_history"
      for each statement execute function "order_history_append_only"();`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'customer_notifications',
      'inventory_reservations',
      'order_fulfillments',
      'order_history',
      'order_items',
      'order_notes',
      'orders',
      'users',
      'stock_levels',
      'stock_locations',
      'product_variants',
      'idempotency_keys',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade;`);
    }
    this.addSql(`drop function if exists "order_history_append_only"();`);
    this.addSql(`drop sequence if exists "order_number_seq";`);
    this.addSql(`drop sequence if exists "fulfillment_number_seq";`);
    for (const type of [
      'user_role',
      'order_status',
      'order_history_action',
      'fulfillment_status',
      'release_reason',
      'notification_status',
    ]) {
      this.addSql(`drop type if exists "${type}";`);
    }
  }
}
