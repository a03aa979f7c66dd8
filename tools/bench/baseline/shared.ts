// What the bench's client side and its bare-Temporal baseline workflows share.
import { defineUpdate } from '@temporalio/workflow';

/** The baseline's stand-in for the booking's reserve update: answered at once. */
export const benchReserveUpdate = defineUpdate<string>('benchReserve');
