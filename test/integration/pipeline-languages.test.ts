/**
 * Every language of docs/protocol.md §6 runs through the whole pipeline (HTTP → queue → that language's runner
 * process → sandbox, compile step included) and reads stdin: a greeting of the name given on stdin.
 * The first run of a language boots its runner, and compilers take seconds: generous timeouts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGE_IDS, type LanguageId } from '#contract/languages.js';
import type { NewSession } from './http.js';
import { newSession, submitRun, waitForFinal } from './pipeline-support.js';

const GREETERS: Record<LanguageId, string> = {
  javascript: "const name = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log(`Hello, ${name}!`);\n",
  typescript: "const name: string = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log(`Hello, ${name}!`);\n",
  python: "import sys\n\nname = sys.stdin.read().strip()\nprint(f'Hello, {name}!')\n",
  java: [
    'import java.io.*;',
    '',
    'public class Main {',
    '    public static void main(String[] args) throws IOException {',
    '        String name = new BufferedReader(new InputStreamReader(System.in)).readLine().trim();',
    '        System.out.println("Hello, " + name + "!");',
    '    }',
    '}',
  ].join('\n'),
  cpp: '#include <iostream>\n#include <string>\n\nint main() {\n    std::string name;\n    std::getline(std::cin, name);\n    std::cout << "Hello, " << name << "!" << std::endl;\n    return 0;\n}\n',
  c: '#include <stdio.h>\n#include <string.h>\n\nint main(void) {\n    char name[64] = {0};\n    if (!fgets(name, sizeof name, stdin)) return 1;\n    name[strcspn(name, "\\n")] = 0;\n    printf("Hello, %s!\\n", name);\n    return 0;\n}\n',
  go: 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n\tname, _ := bufio.NewReader(os.Stdin).ReadString(\'\\n\')\n\tfmt.Printf("Hello, %s!\\n", strings.TrimSpace(name))\n}\n',
  rust: 'use std::io::Read;\n\nfn main() {\n    let mut name = String::new();\n    std::io::stdin().read_to_string(&mut name).unwrap();\n    println!("Hello, {}!", name.trim());\n}\n',
};

describe('hello world with stdin in every language', () => {
  let session: NewSession;
  beforeAll(async () => {
    session = await newSession('python');
  });

  it.each(LANGUAGE_IDS.map((id) => [id]))('%s completes with the greeting of its stdin', async (language) => {
    const name = `${language}-reader`;
    const id = await submitRun(session, { language, code: GREETERS[language], stdin: `${name}\n` });
    const execution = await waitForFinal(session, id, 150_000);
    expect(execution, `${execution.stderr}${execution.compileOutput}`).toMatchObject({
      executionId: id,
      language,
      status: 'COMPLETED',
      exitCode: 0,
      signal: null,
      stdout: `Hello, ${name}!\n`,
    });
  }, 180_000);
});
