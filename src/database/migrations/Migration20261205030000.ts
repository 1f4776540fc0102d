import { Migration } from '@mikro-orm/migrations';

/**
 * Write commands in round trips (docs/data-access.md):
 *
 * - `order_history_hash(...)`: THE definition of an audit entry's hash, sha256 over the canonical
 *   text of its stored content (a jsonb array of the columns in a fixed order; jsonb prints keys
 *   and numbers canonically; created_at in UTC to the microsecond). Writing and verifying both call
 *   it (src/history/order-history.repository.ts), so they cannot disagree.
 * - The chain head on the order row (`history_sequence`, `history_hash`, `history_at`): the entry
 *   statement locks the order row, reads the head from it and moves it on, in one statement. That
 *   row lock is the order lock (it replaces the advisory lock on the history).
 * - `order_items.quantity_allocated`: units of the item held by active reservations or fulfilled
 *   through reservations (Σ reserved of active ones + Σ fulfilled of inactive ones), so that the
 *   reservation statement checks "no more than ordered" on a locked row instead of summing.
 *
 * The hash scheme changed once, before the first release: every existing chain is rehashed here
 * with the new definition, entry by entry in sequence order (a chain with a gap keeps its old
 * hashes after the gap, so it still fails verification). See docs/data-access.md.
 */
export class Migration20261205030000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function "order_history_hash"(
  p_id uuid, p_order_id uuid, p_sequence integer, p_action text, p_old_status text, p_new_status text,
  p_description text, p_performed_by_id uuid, p_additional_data jsonb, p_ip_address text, p_user_agent text,
  p_created_at timestamptz, p_previous_hash text
) returns text language sql immutable parallel safe as $$
  select encode(sha256(convert_to(jsonb_build_array(
    p_id, p_order_id, p_sequence, p_action, p_old_status, p_new_status, p_description, p_performed_by_id,
    p_additional_data, p_ip_address, p_user_agent,
    to_char(p_created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), p_previous_hash
  )::text, 'UTF8')), 'hex')
$$;`);

    this.addSql(
      `alter table "orders" add column "history_sequence" int not null default 0, add column "history_hash" char(64) null, add column "history_at" timestamptz null;`,
    );
    this.addSql(
      `alter table "order_items" add column "quantity_allocated" int not null default 0, add constraint "order_items_quantity_allocated_check" check (quantity_allocated >= 0);`,
    );

    // Rehash every chain from its first entry on (see above), with the append-only trigger off for
    // this one statement of the migration's transaction.
    this.addSql(`alter table "order_history" disable trigger "order_history_append_only";`);
    this.addSql(`with recursive chain (id, order_id, sequence, previous_hash, hash) as (
  select h.id, h.order_id, h.sequence, null::text,
         order_history_hash(h.id, h.order_id, h.sequence, h.action::text, h.old_status, h.new_status, h.description,
                            h.performed_by_id, h.additional_data, h.ip_address, h.user_agent, h.created_at, null)
    from order_history h where h.sequence = 1
  union all
  select h.id, h.order_id, h.sequence, c.hash,
         order_history_hash(h.id, h.order_id, h.sequence, h.action::text, h.old_status, h.new_status, h.description,
                            h.performed_by_id, h.additional_data, h.ip_address, h.user_agent, h.created_at, c.hash)
    from chain c join order_history h on h.order_id = c.order_id and h.sequence = c.sequence + 1
)
update order_history h set previous_hash = c.previous_hash, hash = c.hash from chain c where h.id = c.id;`);
    this.addSql(`alter table "order_history" enable trigger "order_history_append_only";`);

    this
      .addSql(`update orders o set history_sequence = h.sequence, history_hash = h.hash, history_at = h.created_at
  from (select distinct on (order_id) order_id, sequence, hash, created_at from order_history
         order by order_id, sequence desc) h
 where h.order_id = o.id;`);
    this.addSql(`update order_items i set quantity_allocated = r.allocated
  from (select order_item_id,
               sum(case when is_active then quantity_reserved else quantity_fulfilled end)::int as allocated
          from inventory_reservations group by order_item_id) r
 where r.order_item_id = i.id;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "order_items" drop constraint "order_items_quantity_allocated_check", drop column "quantity_allocated";`,
    );
    this.addSql(
      `alter table "orders" drop column "history_sequence", drop column "history_hash", drop column "history_at";`,
    );
    this.addSql(
      `drop function if exists "order_history_hash"(uuid, uuid, integer, text, text, text, text, uuid, jsonb, text, text, timestamptz, text);`,
    );
  }
}
