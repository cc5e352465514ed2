/**
 * A small network of Linux network namespaces for partition tests (needs root; CI runs as root).
 * Every member is a namespace with one address 10.231.0.N/24 on a veth whose other end sits on a
 * bridge in a hub namespace: nothing is added to the host's own namespace, nothing routes
 * outside. `cut(from, to)` drops every packet `from` sends to `to` (a blackhole route inside
 * `from`); cutting both ways is a full partition, one way an asymmetric one. `destroy()` kills
 * whatever still runs inside and deletes the namespaces; it also runs at process exit, so a
 * failed test leaves nothing behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

const live = new Set<Lab>();
process.once('exit', () => {
  for (const lab of live) lab.destroySync();
});

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

export class Lab {
  private readonly names = new Map<string, { ns: string; address: string }>();
  private readonly hub: string;
  private readonly cuts = new Set<string>();
  private readonly children = new Set<ChildProcess>();

  private constructor(private readonly id: string) {
    this.hub = `${id}-hub`;
  }

  /** Creates the hub and one namespace per member name (at most 200). */
  static create(members: readonly string[]): Lab {
    const lab = new Lab(`rondo${process.pid}x${Math.floor(Math.random() * 1e6)}`);
    live.add(lab);
    try {
      ip('netns', 'add', lab.hub);
      ip('-n', lab.hub, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', lab.hub, 'link', 'set', 'br0', 'up');
      members.forEach((name, i) => {
        const ns = `${lab.id}-${name}`;
        const address = `10.231.0.${10 + i}`;
        ip('netns', 'add', ns);
        lab.names.set(name, { ns, address });
        ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', lab.hub);
        ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', lab.hub, 'link', 'set', `p${i}`, 'master', 'br0');
        ip('-n', lab.hub, 'link', 'set', `p${i}`, 'up');
      });
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  ns(name: string): string {
    return this.member(name).ns;
  }

  address(name: string): string {
    return this.member(name).address;
  }

  /** Spawns `command args` inside `name`'s namespace (killed by destroy()). */
  spawn(name: string, command: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(name), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** From now on, every packet `from` sends to `to` is dropped. */
  cut(from: string, to: string): void {
    const key = `${from}>${to}`;
    if (this.cuts.has(key)) return;
    ip('-n', this.ns(from), 'route', 'add', 'blackhole', `${this.address(to)}/32`);
    this.cuts.add(key);
  }

  heal(from: string, to: string): void {
    const key = `${from}>${to}`;
    if (!this.cuts.delete(key)) return;
    ip('-n', this.ns(from), 'route', 'del', 'blackhole', `${this.address(to)}/32`);
  }

  healAll(): void {
    for (const key of [...this.cuts]) {
      const [from, to] = key.split('>') as [string, string];
      this.heal(from, to);
    }
  }

  async destroy(): Promise<void> {
    this.destroySync();
  }

  destroySync(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    for (const ns of [...[...this.names.values()].map((m) => m.ns), this.hub]) {
      try {
        // Anything still running inside (a process we started, by its pid in this namespace).
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).split(/\s+/).filter((p) => p !== '');
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone already
          }
        }
        ip('netns', 'del', ns);
      } catch {
        // not there (creation failed half-way)
      }
    }
    this.names.clear();
    live.delete(this);
  }

  private member(name: string): { ns: string; address: string } {
    const m = this.names.get(name);
    if (m === undefined) throw new Error(`no member ${name} in the lab`);
    return m;
  }
}
