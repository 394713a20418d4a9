/**
 * The same six behaviours in every language: hello world, echo stdin, a compile (or syntax) error,
 * a runtime error, exit code 3, and an endless CPU loop.
 */
import type { LanguageId } from '#contract/languages.js';

export interface Programs {
  hello: string;
  echo: string;
  /** Does not compile; for interpreted languages a syntax error found when it starts. */
  broken: string;
  /** Fails while running (exception, panic, crash). */
  crash: string;
  exit3: string;
  spin: string;
}

export const PROGRAMS: Record<LanguageId, Programs> = {
  javascript: {
    hello: "console.log('Hello, world!');\n",
    echo: "process.stdout.write(require('fs').readFileSync(0, 'utf8'));\n",
    broken: "console.log('unclosed';\n",
    crash: 'const o = null;\nconsole.log(o.field);\n',
    exit3: 'process.exit(3);\n',
    spin: 'for (;;) {}\n',
  },
  typescript: {
    hello: "const greeting: string = 'Hello, world!';\nconsole.log(greeting);\n",
    echo: "const input: string = require('fs').readFileSync(0, 'utf8');\nprocess.stdout.write(input);\n",
    broken: 'const x: number = ;\n',
    crash: "function f(n: number): never { throw new Error('boom ' + n); }\nf(1);\n",
    exit3: 'process.exit(3 as number);\n',
    spin: 'for (;;) {}\n',
  },
  python: {
    hello: "print('Hello, world!')\n",
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())\n',
    broken: "print('unclosed'\n",
    crash: 'print(1 // 0)\n',
    exit3: 'import sys\nsys.exit(3)\n',
    spin: 'while True:\n    pass\n',
  },
  java: {
    hello: 'public class Main {\n  public static void main(String[] args) {\n    System.out.println("Hello, world!");\n  }\n}\n',
    echo:
      'public class Main {\n  public static void main(String[] args) throws Exception {\n    System.out.write(System.in.readAllBytes());\n    System.out.flush();\n  }\n}\n',
    broken: 'public class Main {\n  public static void main(String[] args) {\n    int x = \n  }\n}\n',
    crash: 'public class Main {\n  public static void main(String[] args) {\n    int[] a = new int[1];\n    a[2] = 1;\n  }\n}\n',
    exit3: 'public class Main {\n  public static void main(String[] args) {\n    System.exit(3);\n  }\n}\n',
    spin: 'public class Main {\n  public static void main(String[] args) {\n    while (true) {}\n  }\n}\n',
  },
  cpp: {
    hello: '#include <iostream>\nint main() { std::cout << "Hello, world!" << std::endl; }\n',
    echo: '#include <iostream>\nint main() { std::cout << std::cin.rdbuf(); }\n',
    broken: 'int main() { return undeclared; }\n',
    crash: '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }\n',
    exit3: 'int main() { return 3; }\n',
    spin: 'int main() { volatile unsigned long i = 0; for (;;) i++; }\n',
  },
  c: {
    hello: '#include <stdio.h>\nint main(void) { printf("Hello, world!\\n"); return 0; }\n',
    echo: '#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }\n',
    broken: 'int main(void) { return undeclared; }\n',
    crash: 'int main(void) { volatile int *p = 0; *p = 1; return 0; }\n',
    exit3: 'int main(void) { return 3; }\n',
    spin: 'int main(void) { volatile unsigned long i = 0; for (;;) i++; }\n',
  },
  go: {
    hello: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, world!")\n}\n',
    echo: 'package main\n\nimport (\n\t"io"\n\t"os"\n)\n\nfunc main() {\n\tio.Copy(os.Stdout, os.Stdin)\n}\n',
    broken: 'package main\n\nfunc main() {\n\tx := 1\n}\n',
    crash: 'package main\n\nfunc main() {\n\tpanic("boom")\n}\n',
    exit3: 'package main\n\nimport "os"\n\nfunc main() {\n\tos.Exit(3)\n}\n',
    spin: 'package main\n\nfunc main() {\n\tfor {\n\t}\n}\n',
  },
  rust: {
    hello: 'fn main() {\n    println!("Hello, world!");\n}\n',
    echo:
      'use std::io::Read;\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    print!("{}", s);\n}\n',
    broken: 'fn main() {\n    let x: i32 = "text";\n}\n',
    crash: 'fn main() {\n    let v: Vec<i32> = Vec::new();\n    println!("{}", v[3]);\n}\n',
    exit3: 'fn main() {\n    std::process::exit(3);\n}\n',
    spin: 'fn main() {\n    loop {}\n}\n',
  },
};
