import { Webhook } from 'standardwebhooks';

export interface StandardWebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Standard Webhooks headers for one attempt: the id is the message id (same across retries),
 * the timestamp is this attempt's time, the signature covers `{id}.{timestamp}.{body}`.
 */
export function signWebhook(secret: string, messageId: string, at: Date, body: string): StandardWebhookHeaders {
  const signature = new Webhook(secret).sign(messageId, at, body);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}
