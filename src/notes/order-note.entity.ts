import { Check, Entity, Index, ManyToOne, Property } from '@mikro-orm/core';
import { BaseEntity } from '../database/base.entity';
import { Order } from '../orders/order.entity';
import { User } from '../identity/user.entity';

@Entity({ tableName: 'order_notes' })
@Index({ name: 'order_notes_order_id_created_at_index', properties: ['order', 'createdAt'] })
@Index({ name: 'order_notes_created_by_id_index', properties: ['createdBy'] })
@Check({ name: 'order_notes_notify_public_only_check', expression: 'not (is_internal and notify_customer)' })
export class OrderNote extends BaseEntity {
  @ManyToOne(() => Order, { deleteRule: 'cascade' })
  order: Order;

  @Property({ type: 'text' })
  note: string;

  @Property({ type: 'boolean', default: true })
  isInternal: boolean = true;

  @Property({ type: 'boolean', default: false })
  notifyCustomer: boolean = false;

  /** When the customer notification for this note was delivered. */
  @Property({ type: 'timestamptz', nullable: true })
  notifiedAt?: Date | null;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  createdBy: User;

  constructor(order: Order, note: string, createdBy: User, isInternal = true, notifyCustomer = false) {
    super();
    this.order = order;
    this.note = note;
    this.createdBy = createdBy;
    this.isInternal = isInternal;
    this.notifyCustomer = notifyCustomer;
  }
}
