// Entry point of the workflow bundle: every workflow the worker runs is exported here.
export { bookingWorkflow } from './booking/workflow';
export { leadWorkflow } from './lead/workflow';
export { leadImportWorkflow } from './lead-import/workflow';
export { paymentWorkflow } from './payment/workflow';
export { webhookDeliveryWorkflow } from './webhooks/workflow';
