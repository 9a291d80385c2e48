/**
 * CPU accounting from Linux's /proc: per process (`/proc/<pid>/stat`) and for the whole machine
 * (`/proc/stat`). Figures are in clock ticks (USER_HZ); `ticksToMs` converts.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** USER_HZ: the unit of every CPU figure in /proc. 100 on every mainstream Linux build. */
export const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function ticksToMs(ticks: number): number {
  return (ticks * 1_000) / CLOCK_TICKS_PER_SECOND;
}

export interface ProcessStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime of the process itself. */
  ticks: number;
  /** cutime + cstime: CPU of children that exited and were waited for (a postmaster's dead backends). */
  childTicks: number;
  /** Start time in ticks since boot. */
  startTicks: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name is in parentheses and may itself contain spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function parseProcessStat(line: string): ProcessStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  const fields = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 of proc(5) (state): field n is fields[n - 3].
  const field = (n: number) => Number(fields[n - 3]);
  return {
    pid: Number(line.slice(0, open).trim()),
    comm: line.slice(open + 1, close),
    ppid: field(4),
    ticks: field(14) + field(15),
    childTicks: field(16) + field(17),
    startTicks: field(22),
  };
}

/** The process's stat, or undefined when it has exited. */
export function readProcessStat(pid: number): ProcessStat | undefined {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every live process whose parent is `ppid` (one pass over /proc). */
export function childrenOf(ppid: number): ProcessStat[] {
  const out: ProcessStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcessStat(Number(name));
    if (stat !== undefined && stat.ppid === ppid) out.push(stat);
  }
  return out;
}

export interface MachineStat {
  /** user + nice + system + irq + softirq + steal, all cores. */
  busyTicks: number;
  /** busy + idle + iowait. */
  totalTicks: number;
}

export function parseMachineStat(text: string): MachineStat {
  const line = text.split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busyTicks = user + nice + system + irq + softirq + steal;
  return { busyTicks, totalTicks: busyTicks + idle + iowait };
}

export function readMachineStat(): MachineStat {
  return parseMachineStat(readFileSync('/proc/stat', 'utf8'));
}

/** LISTEN sockets in /proc/net/tcp{,6} on `port`, as socket inodes. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ip:port in hex; st 0A is LISTEN; the inode is column 10.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/**
 * The pid of the local process listening on `port` (the broker, when it runs on this machine), found
 * through its socket's inode; undefined when nothing local listens or its fds are not readable.
 */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${name}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined && inodes.has(inode)) return Number(name);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return undefined;
}

/** Attempts at a consistent reading of a parent and its children before giving up (and taking the last). */
const CONSISTENT_READ_ATTEMPTS = 5;

/**
 * A parent (the postmaster) and its live children, read consistently: a child that exits and is reaped
 * while /proc is being scanned would be in neither the parent's cutime nor the children read (its whole CPU
 * lost), so the reading is repeated until the parent's cutime did not move across the scan.
 */
export function readProcessTree(pid: number): { parent: ProcessStat; children: ProcessStat[] } | undefined {
  let last: { parent: ProcessStat; children: ProcessStat[] } | undefined;
  for (let attempt = 0; attempt < CONSISTENT_READ_ATTEMPTS; attempt++) {
    const before = readProcessStat(pid);
    if (before === undefined) return undefined;
    const children = childrenOf(pid);
    const after = readProcessStat(pid);
    if (after === undefined) return undefined;
    last = { parent: after, children };
    if (after.childTicks === before.childTicks) return last;
  }
  return last;
}
