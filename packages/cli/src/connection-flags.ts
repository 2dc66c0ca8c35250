/** What the command line says about reaching an endpoint: trust, login, record/replay, adapter options. */
export interface ConnectionFlags {
  thumbprint?: string;
  insecure?: boolean;
  caFile?: string;
  passwordFile?: string;
  /** API calls in flight per https endpoint at most (default 64). */
  connections?: number;
  record?: string;
  replay?: string;
  /** Objects per page (vSphere). */
  pageSize?: number;
  /** SSH private key file (ssh://). */
  identity?: string;
  /** known_hosts file (ssh://); default ~/.ssh/known_hosts. */
  knownHosts?: string;
  /** Pinned host key fingerprint, SHA256:… (ssh://). */
  fingerprint?: string;
  /** Block devices to protect (ssh://); all whole disks when absent. */
  disk?: string[];
  /** Commands the host runs around an app-consistent freeze (ssh://), each through sh -c. */
  preHook?: string;
  postHook?: string;
}
