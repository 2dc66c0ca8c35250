/** The intent a run writes before touching any replica, and removes after its commit. */
export interface RunIntent {
  runId: string;
  pointId: string;
  startedAt: string;
  disks: Array<{ key: string; hadReplica: boolean; oldSize: number }>;
}
