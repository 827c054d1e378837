/** Processes as Linux's /proc shows them: for tests that check that nothing of a process tree is left. */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, D, Z (exited, not yet reaped), … */
  readonly state: string;
  /** In clock ticks after boot: tells a process from a later one that got the same pid. */
  readonly startTime: string;
}

/** One process of a tree, as it was when the tree was read. */
export interface TreeProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly command: string;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read from the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 3, 4 and 22 of proc(5), counted from `state`.
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '?', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** `root` and every process below it, each with its command line. */
export function processTree(root: number): TreeProcess[] {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined);
  const tree = new Set([root]);
  // Parents come before children only by chance: repeat until no process joins.
  for (let grown = true; grown; ) {
    grown = false;
    for (const { pid, ppid } of stats) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grown = true;
      }
    }
  }
  return stats
    .filter(({ pid }) => tree.has(pid))
    .map(({ pid, startTime }) => ({ pid, startTime, command: commandLine(pid) }));
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Whether the process still runs: a zombie (exited, waiting for its parent to reap it) does not. */
export function isRunning(process: TreeProcess): boolean {
  const stat = readStat(process.pid);
  return (
    stat !== undefined && stat.startTime === process.startTime && stat.state !== 'Z' && stat.state !== 'X'
  );
}
