import { execFileSync } from 'node:child_process';
import { cpus, availableParallelism, totalmem, release, platform } from 'node:os';

export interface MachineFacts {
  node: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  /** `ulimit -n`: open files per process, which every child inherits. */
  openFiles: number;
}

/** What the numbers depend on, printed with them so a table is never read without its machine. */
export function machineFacts(): MachineFacts {
  const list = cpus();
  return {
    node: process.version,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    // availableParallelism honours cgroup/affinity limits, which is what the bench actually gets.
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    openFiles: openFilesLimit(),
  };
}

function openFilesLimit(): number {
  const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text);
}
