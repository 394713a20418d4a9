/**
 * cfn-lint (the CloudFormation linter, `pip install cfn-lint`) over the template variants the tests
 * synthesize: dev, and prod with every option that adds resources (warm runners, alarm e-mail,
 * Container Insights, another runner size). Zero errors; each warning rule is either fixed or explained in docs/infra.md and
 * listed here. Bundling is skipped: asset code does not change the template's structure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Built } from './harness.js';

/** Warning rules we keep, with why (docs/infra.md "cfn-lint"). */
const EXPLAINED_WARNINGS: Record<string, string> = {
  W3005: 'CDK makes each Lambda function DependsOn its role construct (role + default policy); the role half repeats the GetAtt, harmless',
};

interface Finding {
  Filename: string;
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
  Location: { Path: (string | number)[] };
}

function lint(files: string[]): Finding[] {
  // Exit status is a bit mask of the levels found (2 errors, 4 warnings, 8 info): the JSON says which.
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0 && !run.stdout.trim().startsWith('[')) throw new Error(`cfn-lint failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[];
}

// The defaults, and prod with every option that adds or changes resources: together they hold every
// resource and property the other infra tests synthesize (cfn-lint takes ~15 s of CPU per template).
const VARIANTS: { name: string; stage: string; context?: Record<string, unknown> }[] = [
  { name: 'dev', stage: 'dev' },
  { name: 'prod, all options', stage: 'prod', context: { warmRunners: '1', alarmEmail: 'oncall@example.com', containerInsights: 'true', tracing: 'true', runnerCpu: '2048', runnerMemoryMiB: '4096' } },
];

describe('cfn-lint', () => {
  const builds: Built[] = [];
  const templates: string[] = [];
  let findings: Finding[] = [];

  beforeAll(() => {
    execFileSync('cfn-lint', ['--version']); // installed on these machines; its absence must fail, not skip
    for (const variant of VARIANTS) {
      const built = buildApp({ stage: variant.stage, bundle: false, context: variant.context });
      builds.push(built);
      const assembly = built.app.synth();
      templates.push(path.join(assembly.directory, assembly.getStackByName(built.stack.stackName).templateFile));
    }
    findings = lint(templates);
  }, 600_000); // a busy 2-core machine: synth plus cfn-lint can take minutes
  afterAll(() => builds.forEach((b) => b.cleanup()));

  const describeFinding = (f: Finding) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`;

  it('lints every synthesized template variant', () => {
    expect(templates).toHaveLength(VARIANTS.length);
    for (const t of templates) expect(JSON.parse(readFileSync(t, 'utf8')).Resources).toBeDefined();
  });

  it('finds zero errors', () => {
    expect(findings.filter((f) => f.Level === 'Error').map(describeFinding)).toEqual([]);
  });

  it('finds only the warnings explained in docs/infra.md', () => {
    const unexplained = findings.filter((f) => f.Level === 'Warning' && !(f.Rule.Id in EXPLAINED_WARNINGS));
    expect(unexplained.map(describeFinding)).toEqual([]);
    const docs = readFileSync(new URL('../../docs/infra.md', import.meta.url), 'utf8');
    for (const id of Object.keys(EXPLAINED_WARNINGS)) expect(docs, `docs/infra.md explains ${id}`).toContain(`\`${id}\``);
  });

  it('does report an error in a broken template (the checks above are not vacuous)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfn-lint-probe-'));
    try {
      const file = path.join(dir, 'probe.json');
      const template = JSON.parse(readFileSync(templates[0]!, 'utf8'));
      const [id] = Object.entries(template.Resources as Record<string, { Type: string }>).find(([, r]) => r.Type === 'AWS::SQS::Queue')!;
      template.Resources[id].Properties.VisibilityTimeout = 'one minute';
      writeFileSync(file, JSON.stringify(template));
      expect(lint([file]).filter((f) => f.Level === 'Error').map((f) => f.Location.Path.join('/'))).toContain(`Resources/${id}/Properties/VisibilityTimeout`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
