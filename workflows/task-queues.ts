/**
 * Bookings and payments answer a person who is waiting on an HTTP request (update-with-start, confirm,
 * cancel, refund), so their workflows — and their activities and child payments, which inherit the
 * queue — run on a task queue of their own. A backlog of leads on the main queue (thousands accepted
 * in a burst) then never stands between a customer and the answer to "is my seat held?".
 */
export const bookingTaskQueue = (taskQueue: string): string => `${taskQueue}-bookings`;
