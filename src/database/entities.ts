import { User } from '../identity/user.entity';
import { ProductVariant } from '../catalog/product-variant.entity';
import { StockLocation } from '../catalog/stock-location.entity';
import { StockLevel } from '../catalog/stock-level.entity';
import { Order } from '../orders/order.entity';
import { OrderItem } from '../orders/order-item.entity';
import { OrderHistory } from '../history/order-history.entity';
import { OrderNote } from '../notes/order-note.entity';
import { CustomerNotification } from '../notes/customer-notification.entity';
import { OrderFulfillment } from '../fulfillment/order-fulfillment.entity';
import { InventoryReservation } from '../reservations/inventory-reservation.entity';
import { IdempotencyKey } from '../common/idempotency/idempotency-key.entity';
import { WebhookSubscription } from '../integrations/webhook-subscription.entity';
import { WebhookDelivery } from '../integrations/webhook-delivery.entity';
import { WebhookFanoutCursor } from '../integrations/webhook-fanout-cursor.entity';
import { BaseEntity } from './base.entity';

/** Every entity of the data model; the CLI and the migration check need the whole list. */
export const ENTITIES = [
  BaseEntity,
  User,
  ProductVariant,
  StockLocation,
  StockLevel,
  Order,
  OrderItem,
  OrderHistory,
  OrderNote,
  CustomerNotification,
  OrderFulfillment,
  InventoryReservation,
  IdempotencyKey,
  WebhookSubscription,
  WebhookDelivery,
  WebhookFanoutCursor,
];
