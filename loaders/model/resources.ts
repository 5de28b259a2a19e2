/**
 * What an interval holds of each resource, whatever the scheduler: CPU cores (`cpu_num`), CPU clock in MHz
 * (`cpu_MHz`, Nomad's reservation), GPUs (`gpu_num`), memory in MiB (`memory_MB`: Nomad's "MB" are MiB) and disk in
 * MB (`disk_MB`). Each resource-hour metric of the reports is a resource's name and `_hours`.
 */
export const RESOURCES = ["cpu_num", "cpu_MHz", "gpu_num", "memory_MB", "disk_MB"] as const;
export type Resource = (typeof RESOURCES)[number];
export type Resources = Record<Resource, number>;
