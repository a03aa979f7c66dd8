import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import {
  type BookingInput,
  type BookingState,
  BookingStatusAttribute,
  bookingWorkflowId,
  reserveUpdate,
} from '../workflows/booking/shared';
import type { bookingWorkflow } from '../workflows/booking/workflow';

/**
 * Starts a booking's workflow and waits for its reserve update (update-with-start), in one round trip.
 * Idempotent: the workflow id is the booking's and an existing run is reused, the update id is fixed —
 * so the API, a retry and the outbox relay can all call it for the same booking.
 */
export function startBookingWorkflow(
  temporal: Client,
  taskQueue: string,
  input: BookingInput,
): Promise<BookingState> {
  return temporal.workflow.executeUpdateWithStart(reserveUpdate, {
    updateId: 'reserve',
    startWorkflowOperation: new WithStartWorkflowOperation<typeof bookingWorkflow>('bookingWorkflow', {
      workflowId: bookingWorkflowId(input.bookingId),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: BookingStatusAttribute, value: 'PENDING' }],
    }),
  });
}
