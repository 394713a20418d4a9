/** CDK entry point (cdk.json: `npx tsx infra/bin/app.ts`). */
import { createApp } from '../app.js';

const { app } = createApp();
app.synth();
