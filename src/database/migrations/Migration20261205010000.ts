import { Migration } from '@mikro-orm/migrations';

/**
 * Authentication without a query per request (docs/architecture.md §2a, docs/operations.md "Authentication"):
 * `users.token_version` is carried by every token and raised to revoke them all; a trigger sends
 * `NOTIFY oms_user_auth, '<user id>'` whenever what the auth cache holds of a user changes (active
 * flag, role, token version, email) or the user is deleted, whatever wrote it. pg_notify is
 * transactional: the instances listening hear of it when the change commits, never before.
 */
export class Migration20261205010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "token_version" int not null default 0;`);
    this.addSql(
      `create function "users_notify_auth_change"() returns trigger language plpgsql as $$
begin
  perform pg_notify('oms_user_auth', coalesce(new.id, old.id)::text);
  return null;
end;
$$;`,
    );
    this.addSql(
      `create trigger "users_auth_change_update" after update on "users" for each row
when (old.is_active is distinct from new.is_active or old.role is distinct from new.role
  or old.token_version is distinct from new.token_version or old.email is distinct from new.email)
execute function "users_notify_auth_change"();`,
    );
    this.addSql(
      `create trigger "users_auth_change_delete" after delete on "users" for each row execute function "users_notify_auth_change"();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger "users_auth_change_delete" on "users";`);
    this.addSql(`drop trigger "users_auth_change_update" on "users";`);
    this.addSql(`drop function "users_notify_auth_change"();`);
    this.addSql(`alter table "users" drop column "token_version";`);
  }
}
