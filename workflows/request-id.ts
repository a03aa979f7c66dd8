/**
 * The Temporal header that carries the HTTP request id from the API into workflows, their activities
 * and child workflows, so every log line of one request's work can be found together.
 */
export const REQUEST_ID_HEADER = 'troupe-request-id';
