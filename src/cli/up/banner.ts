import { colorEnabled, paint } from '../client/output.js';

export interface BannerInfo {
  api: string;
  localAws: string | undefined;
  store: string;
  cluster: string;
  readyMs: number;
}

/** What `blox up` prints once it is ready: what runs where, and three commands to try next. */
export function printBanner(info: BannerInfo, out: NodeJS.WriteStream = process.stdout): void {
  const c = colorEnabled(out);
  const lines = [
    '',
    `${paint('Blox is up', 'green', c)} in ${info.readyMs} ms`,
    '',
    `  API (state + scheduler)  ${info.api}   (OpenAPI: ${info.api}/openapi.json, docs: ${info.api}/docs)`,
    info.localAws
      ? `  local AWS emulator       ${info.localAws}   (ECS + SQS; export AWS_ENDPOINT_URL=${info.localAws})`
      : `  AWS                      from the standard AWS configuration`,
    `  store                    ${info.store}`,
    '',
    'Try next:',
    `  ${paint(`npx blox instances --cluster ${info.cluster}`, 'bold', c)}`,
    `  ${paint(`npx blox env create demo --cluster ${info.cluster} --task-definition blox-demo-daemon && npx blox deploy demo --wait`, 'bold', c)}`,
    info.localAws
      ? `  ${paint(`npx blox local-aws scale ${info.cluster} 6`, 'bold', c)}   (then watch: npx blox tasks --cluster ${info.cluster} --watch)`
      : `  ${paint('npx blox tasks --watch', 'bold', c)}`,
    '',
    'Press Ctrl-C to stop; a restart resumes where it stopped.',
    '',
  ];
  out.write(lines.join('\n'));
}
