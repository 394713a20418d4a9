// INFRA PLACEHOLDER (synth only, not committed)
export const handler = async () => ({ statusCode: 200 });
