/**
 * Operator authentication in the template (docs/protocol.md §2): with `-c jwtIssuer/jwtAudience` API Gateway's JWT
 * authorizer guards exactly the operator routes; without, no route has an authorizer (the handler checks
 * API keys). Also what `npm run api-key -- --stage` relies on: the table's name pattern.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS, OPERATOR_ROUTES } from '#contract/routes.js';
import { buildApp, logicalId, validationViolations, type Built } from './harness.js';
import { TemplateReader, type Json } from './template.js';

const ISSUER = 'https://id.example.com/';
const ALL_ROUTES = Object.values(HTTP_FUNCTIONS).flatMap((d) => d.routes as readonly string[]);

const httpRoutes = (built: Built, reader: TemplateReader): Json[] =>
  reader
    .ofType('AWS::ApiGatewayV2::Route')
    .map(([, r]) => r.Properties)
    .filter((p) => p.ApiId?.Ref === logicalId(built.stack.http.api));

describe('with -c jwtIssuer -c jwtAudience', () => {
  let built: Built;
  let reader: TemplateReader;
  let assembly: CloudAssembly;

  beforeAll(() => {
    built = buildApp({ stage: 'dev', nag: true, bundle: false, context: { jwtIssuer: ISSUER, jwtAudience: 'interviews, interviews-admin' } });
    assembly = built.app.synth();
    reader = new TemplateReader(built.stack);
  });
  afterAll(() => built?.cleanup());

  it('has one JWT authorizer of that issuer and audience, reading the Authorization header', () => {
    const authorizers = reader.ofType('AWS::ApiGatewayV2::Authorizer').map(([, a]) => a.Properties);
    expect(authorizers).toEqual([
      expect.objectContaining({
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: ISSUER, Audience: ['interviews', 'interviews-admin'] },
      }),
    ]);
  });

  it('puts it on the operator routes (POST/GET /api/sessions, the question bank) and on no other route', () => {
    const [authorizerId] = reader.ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    const routes = httpRoutes(built, reader);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...ALL_ROUTES, '$default'].sort()); // $default: the contract's 404, no authorizer
    for (const route of routes) {
      if (OPERATOR_ROUTES.includes(route.RouteKey)) {
        expect(route, route.RouteKey).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(route.AuthorizationType ?? 'NONE', route.RouteKey).toBe('NONE');
        expect(route.AuthorizerId, route.RouteKey).toBeUndefined();
      }
    }
    expect(OPERATOR_ROUTES).toEqual([
      'POST /api/sessions',
      'GET /api/sessions',
      'POST /api/questions',
      'GET /api/questions',
      'GET /api/questions/{questionId}',
      'PUT /api/questions/{questionId}',
      'DELETE /api/questions/{questionId}',
    ]);
  });

  it('stays clean under cdk-nag AwsSolutions', () => {
    expect(validationViolations(assembly)).toEqual([]);
  });
});

describe('without JWT configuration', () => {
  let built: Built;
  let reader: TemplateReader;

  beforeAll(() => {
    built = buildApp({ stage: 'dev', bundle: false });
    reader = new TemplateReader(built.stack);
  });
  afterAll(() => built?.cleanup());

  it('has no authorizer: the sessions handler checks operator API keys itself', () => {
    expect(reader.ofType('AWS::ApiGatewayV2::Authorizer')).toEqual([]);
    for (const route of httpRoutes(built, reader)) expect(route.AuthorizationType ?? 'NONE', route.RouteKey).toBe('NONE');
  });

  it('names the table so that `npm run api-key -- --stage dev` finds it (Interview-dev-DataTable…)', () => {
    expect(built.stack.stackName).toBe('Interview-dev');
    expect(logicalId(built.stack.data.table)).toMatch(/^DataTable[0-9A-F]{8}$/);
  });
});

describe('JWT context validation', () => {
  it.each([
    [{ jwtIssuer: ISSUER }, /go together/],
    [{ jwtAudience: 'interviews' }, /go together/],
    [{ jwtIssuer: 'http://id.example.com', jwtAudience: 'interviews' }, /https:\/\//],
    [{ jwtIssuer: ISSUER, jwtAudience: ' , ' }, /audiences/],
  ])('refuses %j at synth', (context, message) => {
    expect(() => buildApp({ stage: 'dev', bundle: false, context })).toThrow(message);
  });
});
