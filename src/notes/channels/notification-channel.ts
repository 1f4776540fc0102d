/** One claimed outbox row, as a channel delivers it. */
export interface OutgoingNotification {
  id: string;
  /** 1 for the first delivery attempt. */
  attempt: number;
  createdAt: Date;
  payload: Record<string, unknown>;
}

/** A way to reach the customer. `deliver` resolves once delivered and throws when it was not. */
export interface NotificationChannel {
  readonly name: string;
  deliver(notification: OutgoingNotification): Promise<void>;
}
