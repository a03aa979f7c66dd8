import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into an encoded payload instead of clear fields, so the payload
 * codec encrypts them too (a failure message can quote a lead's name or the research). Bundled into
 * the workflow code (`failureConverterPath`) and used by every client and worker.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
