/**
 * A two-test question in every language: read an integer from stdin, print twice it. `correct` passes,
 * `wrong` (prints 2n + 1) fails every test.
 */
import type { LanguageId } from '#contract/languages.js';
import type { TestCase } from '#contract/questions.js';

export const DOUBLE_TESTS: TestCase[] = [
  { name: 'small', stdin: '3\n', expectedStdout: '6\n', hidden: false },
  { name: 'secret', stdin: '21\n', expectedStdout: '42\n', hidden: true },
];

export const DOUBLE: Record<LanguageId, { correct: string; wrong: string }> = {
  javascript: {
    correct: "const n = Number(require('fs').readFileSync(0, 'utf8').trim());\nconsole.log(2 * n);\n",
    wrong: "const n = Number(require('fs').readFileSync(0, 'utf8').trim());\nconsole.log(2 * n + 1);\n",
  },
  typescript: {
    correct: "const n: number = Number(require('fs').readFileSync(0, 'utf8').trim());\nconsole.log(2 * n);\n",
    wrong: "const n: number = Number(require('fs').readFileSync(0, 'utf8').trim());\nconsole.log(2 * n + 1);\n",
  },
  python: {
    correct: 'n = int(input())\nprint(2 * n)\n',
    wrong: 'n = int(input())\nprint(2 * n + 1)\n',
  },
  java: {
    correct: 'import java.util.*;\npublic class Main {\n  public static void main(String[] a) {\n    long n = new Scanner(System.in).nextLong();\n    System.out.println(2 * n);\n  }\n}\n',
    wrong: 'import java.util.*;\npublic class Main {\n  public static void main(String[] a) {\n    long n = new Scanner(System.in).nextLong();\n    System.out.println(2 * n + 1);\n  }\n}\n',
  },
  cpp: {
    correct: '#include <iostream>\nint main() { long n; std::cin >> n; std::cout << 2 * n << "\\n"; }\n',
    wrong: '#include <iostream>\nint main() { long n; std::cin >> n; std::cout << 2 * n + 1 << "\\n"; }\n',
  },
  c: {
    correct: '#include <stdio.h>\nint main(void) { long n; if (scanf("%ld", &n) != 1) return 1; printf("%ld\\n", 2 * n); return 0; }\n',
    wrong: '#include <stdio.h>\nint main(void) { long n; if (scanf("%ld", &n) != 1) return 1; printf("%ld\\n", 2 * n + 1); return 0; }\n',
  },
  go: {
    correct: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar n int64\n\tfmt.Scan(&n)\n\tfmt.Println(2 * n)\n}\n',
    wrong: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar n int64\n\tfmt.Scan(&n)\n\tfmt.Println(2*n + 1)\n}\n',
  },
  rust: {
    correct: 'fn main() {\n    let mut s = String::new();\n    std::io::stdin().read_line(&mut s).unwrap();\n    let n: i64 = s.trim().parse().unwrap();\n    println!("{}", 2 * n);\n}\n',
    wrong: 'fn main() {\n    let mut s = String::new();\n    std::io::stdin().read_line(&mut s).unwrap();\n    let n: i64 = s.trim().parse().unwrap();\n    println!("{}", 2 * n + 1);\n}\n',
  },
};
