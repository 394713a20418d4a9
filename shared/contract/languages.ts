/**
 * The language table: the single source for `GET /api/languages`, request validation, the runner
 * (how to compile and run) and the per-language queues and images in the CDK stack.
 * Adding a language is one entry here plus its image (runner/images/).
 *
 * Commands are argv arrays run inside the sandbox's work directory. `{dir}` (in argv or env) is the
 * absolute work directory. A bare argv[0] is resolved by the runner on the sandbox's tool directories
 * (the image's /usr/local/bin:/usr/bin:/bin, see runner/sandbox/toolchain.ts); `./main` is the
 * compiled program in the work directory. Versions are those of the Debian bookworm packages and the
 * node:20 base image that runner/images/Dockerfile installs.
 */
import { LIMITS } from './limits.js';

const MIB = 1024 * 1024;

export const LANGUAGE_IDS = ['javascript', 'typescript', 'python', 'java', 'cpp', 'c', 'go', 'rust'] as const;
export type LanguageId = (typeof LANGUAGE_IDS)[number];

export interface StepLimits {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  /** Bytes a step may write to files (the run step uses LIMITS.run.fileBytes). */
  fileBytes?: number;
  /** Processes and threads of the step's uid (compilers spawn more threads than programs). */
  processes?: number;
}

export interface Language {
  id: LanguageId;
  name: string;
  /** Toolchain version in the image (what `GET /api/languages` reports). */
  version: string;
  /** Source file name written into the work directory. */
  fileName: string;
  compile?: { argv: string[]; limits: StepLimits };
  run: { argv: string[] };
  /** Extra environment variables for this language's steps (never the runner's own). */
  env?: Record<string, string>;
  /** Starter code for a new session in this language. */
  template: string;
  /**
   * The Debian bookworm packages of its toolchain (besides node, which every image has): the runner
   * image installs exactly these and .ci/run installs them for the sandbox tests (checked by
   * test/unit/contract/language-packages.test.ts).
   */
  debianPackages: readonly string[];
}

const compileLimits: StepLimits = {
  wallMs: LIMITS.run.compileWallMs,
  cpuMs: LIMITS.run.compileCpuMs,
  memoryBytes: LIMITS.run.compileMemoryBytes,
  // Objects, the binary and Go's build cache; far above what a 100 KiB source legitimately produces.
  fileBytes: 256 * MIB,
  // go build and javac run many threads per process, and RLIMIT_NPROC counts threads.
  processes: 256,
};

/** The JVM heap may grow to the run's memory limit, so heap exhaustion trips the sandbox's RSS
 *  limit (reported MEMORY_LIMIT) before the JVM's own OutOfMemoryError (which would read FAILED). */
const javaHeapMb = LIMITS.run.memoryBytes / MIB;

export const LANGUAGES: Record<LanguageId, Language> = {
  javascript: {
    id: 'javascript',
    name: 'JavaScript (Node.js)',
    version: '22',
    fileName: 'main.js',
    run: { argv: ['node', 'main.js'] },
    template: "const input = require('fs').readFileSync(0, 'utf8');\nconsole.log('Hello, world!');\n",
    debianPackages: [],
  },
  typescript: {
    id: 'typescript',
    name: 'TypeScript (esbuild + Node.js)',
    // esbuild strips types without checking them: fast, and type errors do not stop a run.
    version: 'esbuild 0.28, Node.js 22',
    fileName: 'main.ts',
    compile: { argv: ['esbuild', 'main.ts', '--outfile=main.js', '--format=cjs', '--platform=node', '--log-level=error'], limits: compileLimits },
    run: { argv: ['node', 'main.js'] },
    template: "const input: string = require('fs').readFileSync(0, 'utf8');\nconsole.log('Hello, world!');\n",
    debianPackages: [],
  },
  python: {
    id: 'python',
    name: 'Python 3',
    version: '3.11',
    fileName: 'main.py',
    run: { argv: ['python3', '-S', '-u', 'main.py'] },
    env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
    template: "import sys\n\ndata = sys.stdin.read()\nprint('Hello, world!')\n",
    debianPackages: ['python3'],
  },
  java: {
    id: 'java',
    name: 'Java',
    version: '17',
    fileName: 'Main.java',
    compile: {
      // Serial GC and C1 only: javac is short-lived, and startup dominates its time.
      argv: ['javac', '-J-Xmx512m', '-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-XX:-UsePerfData', '-encoding', 'UTF-8', 'Main.java'],
      limits: compileLimits,
    },
    run: {
      // -XX:-UsePerfData: no hsperfdata files in /tmp and a faster start.
      argv: ['java', `-Xmx${javaHeapMb}m`, '-Xss64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', 'Main'],
    },
    template:
      'import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, world!");\n    }\n}\n',
    debianPackages: ['openjdk-17-jdk-headless'],
  },
  cpp: {
    id: 'cpp',
    name: 'C++ (g++, C++17)',
    version: '12',
    fileName: 'main.cpp',
    compile: { argv: ['g++', '-std=c++17', '-O2', '-pipe', '-o', 'main', 'main.cpp'], limits: compileLimits },
    run: { argv: ['./main'] },
    template: '#include <iostream>\n\nint main() {\n    std::cout << "Hello, world!" << std::endl;\n    return 0;\n}\n',
    debianPackages: ['g++', 'libc6-dev'],
  },
  c: {
    id: 'c',
    name: 'C (gcc, C17)',
    version: '12',
    fileName: 'main.c',
    compile: { argv: ['gcc', '-std=c17', '-O2', '-pipe', '-o', 'main', 'main.c', '-lm'], limits: compileLimits },
    run: { argv: ['./main'] },
    template: '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, world!\\n");\n    return 0;\n}\n',
    debianPackages: ['gcc', 'libc6-dev'],
  },
  go: {
    id: 'go',
    name: 'Go',
    version: '1.19',
    fileName: 'main.go',
    compile: { argv: ['go', 'build', '-o', 'main', 'main.go'], limits: compileLimits },
    run: { argv: ['./main'] },
    env: { GOCACHE: '{dir}/.gocache', GOPATH: '{dir}/.gopath', GO111MODULE: 'off', CGO_ENABLED: '0' },
    template: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, world!")\n}\n',
    debianPackages: ['golang-go'],
  },
  rust: {
    id: 'rust',
    name: 'Rust',
    version: '1.63',
    fileName: 'main.rs',
    compile: { argv: ['rustc', '-O', '--edition=2021', '-o', 'main', 'main.rs'], limits: compileLimits },
    run: { argv: ['./main'] },
    template: 'fn main() {\n    println!("Hello, world!");\n}\n',
    debianPackages: ['rustc', 'gcc', 'libc6-dev'],
  },
};

export const DEFAULT_LANGUAGE: LanguageId = 'python';

export function isLanguageId(value: unknown): value is LanguageId {
  return typeof value === 'string' && (LANGUAGE_IDS as readonly string[]).includes(value);
}

/** The public view served by `GET /api/languages`. */
export function publicLanguages() {
  return LANGUAGE_IDS.map((id) => {
    const l = LANGUAGES[id];
    return {
      id: l.id,
      name: l.name,
      version: l.version,
      compiled: l.compile !== undefined,
      limits: {
        wallMs: LIMITS.run.wallMs,
        cpuMs: LIMITS.run.cpuMs,
        memoryBytes: LIMITS.run.memoryBytes,
        processes: LIMITS.run.processes,
        fileBytes: LIMITS.run.fileBytes,
        outputBytesPerStream: LIMITS.outputMaxBytesPerStream,
        codeBytes: LIMITS.codeMaxBytes,
        stdinBytes: LIMITS.stdinMaxBytes,
        ...(l.compile ? { compileWallMs: l.compile.limits.wallMs, compileCpuMs: l.compile.limits.cpuMs } : {}),
      },
    };
  });
}
