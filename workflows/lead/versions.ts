// Changes to the lead workflow's commands, each behind its patch so recorded histories keep replaying.
// The replay test swaps this module for one that skips patched() to show what the guard prevents.
import { patched } from '@temporalio/workflow';

/** Status writes run as local activities (no activity task per write); older runs scheduled them. */
export const STATUS_WRITES_LOCAL = 'lead-status-writes-local';

export const statusWritesAreLocal = (): boolean => patched(STATUS_WRITES_LOCAL);

/**
 * A report whose sending finally failed is checked against the delivery record before the lead is
 * marked FAILED: a report that did go out completes the lead instead (one more local activity).
 */
export const REPORT_OUTCOME_CHECKED = 'lead-report-outcome-checked';

export const reportOutcomeIsChecked = (): boolean => patched(REPORT_OUTCOME_CHECKED);
