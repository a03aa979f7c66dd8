// No-op activities: the baseline pays Temporal's scheduling and nothing else.
export const baselineActivities = {
  async noop(): Promise<void> {},
};
