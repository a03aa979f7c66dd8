import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import {
  redeliverNowSignal,
  type WebhookDeliveryInput,
  webhookDeliveryWorkflowId,
  webhookTaskQueue,
} from '../workflows/webhooks/shared';

/**
 * Starts a delivery's workflow, once per delivery id: a retried publish finds it started (running or
 * finished) and starts nothing, so it never delivers twice. `redelivery` starts a finished one again.
 */
export async function startWebhookDelivery(
  temporal: Client,
  taskQueue: string,
  input: WebhookDeliveryInput,
  options: { redelivery?: boolean } = {},
): Promise<'started' | 'exists'> {
  try {
    await temporal.workflow.start('webhookDeliveryWorkflow', {
      workflowId: webhookDeliveryWorkflowId(input.deliveryId),
      taskQueue: webhookTaskQueue(taskQueue),
      args: [input],
      workflowIdReusePolicy: options.redelivery
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
        : WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'exists';
    throw err;
  }
}

/** A delivery waiting for its next retry tries at once; `false` when it is not running. */
export async function redeliverNow(temporal: Client, deliveryId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(webhookDeliveryWorkflowId(deliveryId)).signal(redeliverNowSignal);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
