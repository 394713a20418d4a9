/**
 * The web app (docs/protocol.md §7, §9): a private S3 bucket read only by CloudFront through Origin Access Control,
 * the files of web/dist (built at synth with esbuild, so `cdk synth` works offline on a fresh clone)
 * and a generated `config.json` with the API URLs. Idle cost: the storage of a few hundred KB.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildWebAppSync, WEB_DIST, webAppIsStale } from '../../web/build.js';
import type { StageSettings } from '../stage.js';

export interface WebAppProps {
  readonly stage: StageSettings;
  /** Written to config.json: where the app calls the HTTP API and connects the WebSocket. */
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** A built app to upload. @default web/dist, built now if missing or stale */
  readonly distDir?: string;
}

/** The single-page routes: `/s/{id}` (and anything under it) is the room, served by index.html. */
const SPA_REWRITE = `function handler(event) {
  var request = event.request;
  if (request.uri.indexOf('/s/') === 0) request.uri = '/index.html';
  return request;
}`;

export class WebApp extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** https://<distribution>.cloudfront.net */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebAppProps) {
    super(scope, id);
    const dist = props.distDir ?? WEB_DIST;
    if (!props.distDir && webAppIsStale(dist)) buildWebAppSync(dist);

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The deployments below delete their files when the stack goes (retainOnDelete: false), so an
      // emptied bucket can be removed without an auto-delete custom resource.
      removalPolicy: props.stage.removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const rewrite = new CloudFrontFunction(this, 'SpaRoutes', {
      code: FunctionCode.fromInline(SPA_REWRITE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Serve index.html for the room routes /s/*',
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Interview web app (${props.stage.name})`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        functionAssociations: [{ function: rewrite, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    // CDK's one BucketDeployment handler (a singleton both deployments share, made with the first one's
    // props) logs here, with the stage's retention, not to an implicit group kept forever.
    const deployLogs = new LogGroup(this, 'DeploymentLogs', { retention: props.stage.logRetention, removalPolicy: props.stage.removalPolicy });

    // Chunks carry a content hash in their names: cache them for a year. Everything else (index.html,
    // the entry script and style, config.json) is revalidated on every load, so a deploy shows at once.
    const chunks = new BucketDeployment(this, 'Chunks', {
      sources: [Source.asset(`${dist}/chunks`)],
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'chunks/',
      cacheControl: [CacheControl.setPublic(), CacheControl.maxAge(Duration.days(365)), CacheControl.immutable()],
      prune: false, // an open page may still load the previous deploy's chunks
      retainOnDelete: false,
      logGroup: deployLogs,
    });
    const app = new BucketDeployment(this, 'App', {
      sources: [
        Source.asset(dist, { exclude: ['chunks', 'chunks/*', '*.map', '.build-stamp'] }),
        Source.jsonData('config.json', { httpUrl: props.httpUrl, wsUrl: props.wsUrl }),
      ],
      destinationBucket: this.bucket,
      exclude: ['chunks/*'],
      // No CloudFront invalidation (it would need cloudfront:CreateInvalidation on *): with no-cache from
      // the origin, CloudFront keeps these for the cache policy's minimum TTL of 1 s only.
      cacheControl: [CacheControl.noCache()],
      retainOnDelete: false,
      logGroup: deployLogs,
    });
    app.node.addDependency(chunks); // new entry points only once the chunks they import are there

    new CfnOutput(this, 'AppUrl', { key: 'AppUrl', value: this.url, description: 'The web app (open it, enter the operator key)' });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only the public static files of the web app, written by the deployment; reads come only through CloudFront (OAC) and S3 server access logs would cost storage for no security signal.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Interviews are held worldwide: a geo restriction would lock candidates out; the app serves static files only and its data is behind per-session tokens.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves static files only (no API, no forms reaching a server); a WAF web ACL costs $5+/month, more than the whole idle budget. The APIs have their own throttling.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Standard logs of static file requests would be billed storage without a use: the APIs log every request themselves (access logs), which is where user activity shows.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The default *.cloudfront.net certificate is used (no custom domain), for which CloudFront fixes the security policy at TLSv1 (CDK ignores a minimum protocol without a certificate); browsers negotiate TLS 1.2/1.3 anyway. A custom domain with an ACM certificate would allow TLSv1.2_2021.',
      },
    );
    // BucketDeployment's handler is one singleton Lambda per stack, created by CDK outside this construct.
    const handler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const role = handler?.node.tryFindChild('ServiceRole');
    const fn = handler?.node.tryFindChild('Resource');
    if (!role || !fn) return;
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The BucketDeployment handler and its runtime are shipped and updated by aws-cdk-lib itself; it runs only during deployments, never on user requests.',
    });
    const copy =
      'CDK\'s BucketDeployment handler (runs only during deployments) copies the asset objects into the app bucket; CDK grants it object-level access scoped to the CDK asset bucket and this app bucket only.';
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK\'s BucketDeployment handler uses AWSLambdaBasicExecutionRole for its own CloudWatch logs only; it runs during deployments, never on user requests.',
      },
      ...['Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:Abort*', 'Action::s3:DeleteObject*'].map((what) => ({
        id: `AwsSolutions-IAM5[${what}]`,
        reason: copy,
      })),
      { id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', reason: copy },
      { id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve(Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket))}.Arn>/*]`, reason: copy },
    );
  }
}
