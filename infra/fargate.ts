/**
 * Fargate's task sizes (Linux, platform 1.4.0; the same on ARM64): CPU units and the memory each allows.
 * CloudFormation accepts any number and ECS refuses a bad pair only when the task definition is
 * registered, minutes into a deploy; checking at synth turns that into an immediate, clear error.
 * Source: "Task CPU and memory" in the Amazon ECS developer guide.
 */
interface MemoryRange {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

export const FARGATE_SIZES: Readonly<Record<number, readonly number[] | MemoryRange>> = {
  256: [512, 1024, 2048],
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

function allows(memory: readonly number[] | MemoryRange, memoryMiB: number): boolean {
  if (Array.isArray(memory)) return memory.includes(memoryMiB);
  const range = memory as MemoryRange;
  return memoryMiB >= range.min && memoryMiB <= range.max && (memoryMiB - range.min) % range.step === 0;
}

function describe(memory: readonly number[] | MemoryRange): string {
  if (Array.isArray(memory)) return memory.join(', ');
  const range = memory as MemoryRange;
  return `${range.min}-${range.max} in steps of ${range.step}`;
}

/** Throws a message naming the context options and the valid values when Fargate has no such size. */
export function checkFargateSize(cpu: number, memoryMiB: number): void {
  const memory = FARGATE_SIZES[cpu];
  if (!memory) {
    throw new Error(`-c runnerCpu=${cpu}: Fargate offers ${Object.keys(FARGATE_SIZES).join(', ')} CPU units (1024 = 1 vCPU)`);
  }
  if (!allows(memory, memoryMiB)) {
    throw new Error(`-c runnerMemoryMiB=${memoryMiB}: with runnerCpu=${cpu}, Fargate allows ${describe(memory)} MiB`);
  }
}
