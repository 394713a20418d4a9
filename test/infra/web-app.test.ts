/**
 * The web app's hosting: a private bucket read by CloudFront through OAC, the built app and a
 * config.json made from the stack's API URLs, the room routes rewritten to index.html, and AppUrl.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIST } from '../../web/build.js';
import { buildApp, logicalId, type Built } from './harness.js';
import { TemplateReader, type Json } from './template.js';

let built: Built;
let r: TemplateReader;

beforeAll(() => {
  built = buildApp({ stage: 'dev', bundle: false });
  r = new TemplateReader(built.stack);
});
afterAll(() => built?.cleanup());

describe('web app hosting', () => {
  it('builds the app at synth (index.html, the entry script and the language chunks)', () => {
    for (const file of ['index.html', 'app.js', 'app.css']) expect(existsSync(join(WEB_DIST, file)), file).toBe(true);
  });

  it('keeps the bucket private: all public access blocked, TLS only, readable by the distribution alone', () => {
    const bucket = r.resources[logicalId(built.stack.webApp.bucket)]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = r.ofType('AWS::S3::BucketPolicy').map(([, p]) => p.Properties).find((p) => p.Bucket.Ref === logicalId(built.stack.webApp.bucket))!;
    const statements = policy.PolicyDocument.Statement as Json[];
    expect(statements.find((s) => s.Effect === 'Deny')?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    const allow = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Action).includes('s3:GetObject'));
    expect(allow).toHaveLength(1);
    expect(allow[0]!.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(JSON.stringify(allow[0]!.Condition)).toContain(logicalId(built.stack.webApp.distribution));
    expect(r.ofType('AWS::CloudFront::OriginAccessControl')).toHaveLength(1);
  });

  it('serves over HTTPS with index.html as root and the room routes rewritten to it', () => {
    const config = r.resources[logicalId(built.stack.webApp.distribution)]!.Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const [fn] = r.ofType('AWS::CloudFront::Function');
    expect(fn![1].Properties.FunctionCode).toContain("'/s/'");
    expect(config.DefaultCacheBehavior.FunctionAssociations[0].EventType).toBe('viewer-request');
  });

  it('uploads a config.json holding the HTTP API and WebSocket URLs of this stack, without CloudFront invalidations', () => {
    const deployments = r.ofType('Custom::CDKBucketDeployment').map(([, d]) => d.Properties);
    const app = deployments.find((d) => JSON.stringify(d.SourceMarkers ?? '').includes(logicalId(built.stack.http.api)));
    expect(app, 'a deployment with generated content').toBeDefined();
    const markers = app!.SourceMarkers[1] as Record<string, Json>;
    // The staged asset: config.json whose markers CloudFormation replaces with the stack's URLs.
    const staged = readdirSync(built.outdir).filter((d) => d.startsWith('asset.')).map((d) => join(built.outdir, d, 'config.json')).find((f) => existsSync(f));
    const config = JSON.parse(readFileSync(staged!, 'utf8')) as { httpUrl: string; wsUrl: string };
    const refOf = (text: string) => markers[/<<marker:0xbaba:\d+>>/.exec(text)![0]];
    expect(config.httpUrl).toMatch(/^https:\/\//);
    expect(refOf(config.httpUrl)).toEqual({ Ref: logicalId(built.stack.http.api) });
    expect(config.wsUrl).toMatch(/^wss:\/\//);
    expect(refOf(config.wsUrl)).toEqual({ Ref: logicalId(built.stack.webSocket.api) });
    expect(app!.DistributionId).toBeUndefined();
  });

  it('prints the app URL as a stack output', () => {
    const outputs = r.template.toJSON().Outputs as Record<string, Json>;
    expect(JSON.stringify(outputs.AppUrl?.Value)).toContain('DomainName');
  });
});
