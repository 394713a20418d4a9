/**
 * The runner image of a language: runner/images/Dockerfile with `--build-arg LANGUAGE=<id>`, for arm64
 * (Graviton Fargate). `cdk synth` only stages the build context; Docker builds and pushes the images at
 * `cdk deploy` (or `cdk-assets publish`), so synth stays offline and fast.
 */
import { IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { LanguageId } from '#contract/languages.js';
import { REPO_ROOT } from './project-function.js';

export const RUNNER_DOCKERFILE = 'runner/images/Dockerfile';

/**
 * The build context is the repository root, but only what the Dockerfile copies goes into it (dockerignore
 * syntax): the asset hash, and so the image, changes only when the runner, shared/ or the dependencies
 * change, not on every edit of infra/, functions/ or docs.
 */
export const RUNNER_IMAGE_CONTEXT = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!shared',
  '!runner',
  '**/node_modules',
  // The local build of the sandbox helper (host architecture); the image compiles its own.
  'runner/sandbox/build',
  '**/*.test.ts',
];

export function runnerImage(language: LanguageId): ContainerImage {
  return ContainerImage.fromAsset(REPO_ROOT, {
    file: RUNNER_DOCKERFILE,
    buildArgs: { LANGUAGE: language },
    platform: Platform.LINUX_ARM64,
    ignoreMode: IgnoreMode.DOCKER,
    exclude: RUNNER_IMAGE_CONTEXT,
  });
}
