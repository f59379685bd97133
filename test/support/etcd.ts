/**
 * Starts real etcd servers (`/usr/bin/etcd`, installed by scripts/install-test-deps.sh) for tests
 * and benchmarks: one member or an N-member cluster on free loopback ports in a temp directory.
 * Every process is killed and every directory removed by `stop()`, and also when the test process
 * exits, so a failing test leaves nothing behind.
 *
 *   const etcd = await startEtcd();                 // { endpoints, stop() }
 *   const cluster = await startEtcdCluster(3);      // { endpoints, members[i].kill()/restart(), stop() }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, tempDir, waitFor } from './env.js';

export const ETCD_BIN = process.env.BLOX_ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdMember {
  readonly name: string;
  /** Client URL of this member (http://127.0.0.1:port). */
  readonly endpoint: string;
  readonly running: boolean;
  /** SIGKILL the member (like a crash); resolves when the process is gone. */
  kill(): Promise<void>;
  /** Start it again with the same data directory; resolves when it answers. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  /** Client URLs of all members. */
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** Kill every member and remove the data directories. Idempotent. */
  stop(): Promise<void>;
}

export interface EtcdStartOptions {
  /** Bound on startup (default 20 s). */
  timeoutMs?: number;
  /** Server-side watch progress notification interval (default '250ms'; etcd's own default is 10m). */
  progressNotifyInterval?: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        p.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Answers when etcd's /health says so (a member with a leader). */
async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

class Member implements EtcdMember {
  private proc: ChildProcess | undefined;
  private stderr = '';

  constructor(
    readonly name: string,
    private readonly dataDir: string,
    private readonly clientPort: number,
    private readonly peerPort: number,
    private readonly initialCluster: string,
    private readonly clusterToken: string,
    private readonly options: EtcdStartOptions,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  spawn(): void {
    if (!existsSync(ETCD_BIN)) {
      throw new Error(
        `etcd not found at ${ETCD_BIN}: run scripts/install-test-deps.sh (apt-get install etcd-server)`,
      );
    }
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      '--name',
      this.name,
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      this.endpoint,
      '--advertise-client-urls',
      this.endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      this.initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      this.clusterToken,
      '--heartbeat-interval',
      '100',
      '--election-timeout',
      '1000',
      '--experimental-watch-progress-notify-interval',
      this.options.progressNotifyInterval ?? '250ms',
      '--logger',
      'zap',
      '--log-level',
      'error',
    ];
    this.stderr = '';
    const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    proc.on('exit', () => live.delete(proc));
    live.add(proc);
    this.proc = proc;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    try {
      await waitFor(
        `etcd member ${this.name} at ${this.endpoint} to be healthy`,
        () => healthy(this.endpoint),
        {
          timeoutMs,
          intervalMs: 50,
        },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\netcd stderr:\n${this.stderr}`);
    }
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  async restart(): Promise<void> {
    await this.kill();
    this.spawn();
    await this.waitReady(this.options.timeoutMs ?? 20_000);
  }
}

/** Starts an N-member etcd cluster on loopback; resolves when every member is healthy. */
export async function startEtcdCluster(n: number, options: EtcdStartOptions = {}): Promise<EtcdCluster> {
  installExitHook();
  const dir = await tempDir('blox-etcd-');
  const ports: Array<{ client: number; peer: number }> = [];
  const used = new Set<number>();
  const pick = async () => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  for (let i = 0; i < n; i++) ports.push({ client: await pick(), peer: await pick() });
  const initialCluster = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
  const members: Member[] = [];
  for (let i = 0; i < n; i++) {
    const dataDir = join(dir.path, `m${i}`);
    await mkdir(dataDir, { recursive: true });
    members.push(
      new Member(
        `m${i}`,
        dataDir,
        ports[i]!.client,
        ports[i]!.peer,
        initialCluster,
        `blox-test-${ports[0]!.peer}`,
        options,
      ),
    );
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(members.map((m) => m.kill()));
    await rm(dir.path, { recursive: true, force: true });
  };
  try {
    for (const m of members) m.spawn();
    await Promise.all(members.map((m) => m.waitReady(options.timeoutMs ?? 20_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoints: members.map((m) => m.endpoint), members, stop };
}

/** Starts a single etcd member; resolves when it is healthy. */
export async function startEtcd(
  options: EtcdStartOptions = {},
): Promise<{ endpoints: string[]; member: EtcdMember; stop(): Promise<void> }> {
  const cluster = await startEtcdCluster(1, options);
  return { endpoints: cluster.endpoints, member: cluster.members[0]!, stop: cluster.stop };
}
