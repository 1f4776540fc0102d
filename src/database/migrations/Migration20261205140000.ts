import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook deliveries: the token of the claim a send belongs to. Set at each claim and cleared by a
 * redelivery; a send's result settles the delivery only while the token is still the one it
 * claimed (the attempt count is not enough: a redelivery resets it, so a new claim can have the
 * count an older, still running send had).
 */
export class Migration20261205140000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "webhook_deliveries" add column "claim_token" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop column if exists "claim_token";`);
  }
}
