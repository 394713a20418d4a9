/**
 * The task's own memory, from its cgroup. Some memory a run can consume is charged to no process the
 * RSS poll sees (socket and pipe buffers, page tables, kernel objects); on Fargate all of it comes out
 * of the task's one memory limit, and the kernel's OOM killer would then pick a victim, possibly the
 * runner itself. So the runner polls the task's working set (usage minus inactive page cache, which the
 * kernel reclaims before any OOM) and stops the running programs past a budget (MEMORY_LIMIT), and
 * every sandboxed process carries oom_score_adj 1000 so that the kernel, if it still gets there,
 * picks a program first.
 */
import { readFileSync } from 'node:fs';

export interface TaskMemory {
  budgetBytes: number;
  /** Current working set in bytes. */
  usage: () => number;
  source: string;
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined; // "max" (no limit) or not there
  }
}

function statField(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The memory cgroup of this process: v2 (Fargate platform 1.4 on newer kernels) or v1. */
function cgroupFiles(): { current: string; limit: string; stat: string; inactive: string } | undefined {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const v1 = lines.map((l) => /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/.exec(l)?.[1]).find((p) => p !== undefined);
  // Inside a container the path may be relative to a namespaced root: try it, then the mount's root.
  if (v1 !== undefined) {
    for (const dir of [`/sys/fs/cgroup/memory${v1}`, '/sys/fs/cgroup/memory']) {
      if (readNumber(`${dir}/memory.usage_in_bytes`) !== undefined) {
        return { current: `${dir}/memory.usage_in_bytes`, limit: `${dir}/memory.limit_in_bytes`, stat: `${dir}/memory.stat`, inactive: 'total_inactive_file' };
      }
    }
  }
  const v2 = lines.map((l) => /^0::(.*)$/.exec(l)?.[1]).find((p) => p !== undefined);
  if (v2 !== undefined) {
    for (const dir of [`/sys/fs/cgroup${v2}`, '/sys/fs/cgroup']) {
      if (readNumber(`${dir}/memory.current`) !== undefined) {
        return { current: `${dir}/memory.current`, limit: `${dir}/memory.max`, stat: `${dir}/memory.stat`, inactive: 'inactive_file' };
      }
    }
  }
  return undefined;
}

/**
 * The task's memory and budget: RUNNER_TASK_MEMORY_BUDGET_BYTES, else 90 % of the cgroup's limit.
 * Undefined when there is neither (a developer machine without a memory limit): nothing to protect.
 */
export function detectTaskMemory(env: NodeJS.ProcessEnv = process.env): TaskMemory | undefined {
  const files = cgroupFiles();
  if (!files) return undefined;
  const limit = readNumber(files.limit);
  const configured = Number(env.RUNNER_TASK_MEMORY_BUDGET_BYTES) || undefined;
  // cgroup v1 reports "no limit" as a huge page-aligned number.
  const budgetBytes = configured ?? (limit !== undefined && limit < 2 ** 50 ? Math.floor(limit * 0.9) : undefined);
  if (budgetBytes === undefined) return undefined;
  return {
    budgetBytes,
    source: files.current,
    usage: () => Math.max(0, (readNumber(files.current) ?? 0) - statField(files.stat, files.inactive)),
  };
}
