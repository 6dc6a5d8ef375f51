#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, resolveConfigPath } from '../config/load.js';
import { maskSecrets } from '../config/mask.js';
import { runContractCli } from '../contract/cli.js';
import { createLogger } from '../log.js';
import { startGateway } from '../boot.js';
import { stringify } from 'yaml';

const USAGE = `usage:
  switchboard serve [--config FILE]          run the gateway
  switchboard check-config [FILE]            validate a config and print it resolved, secrets masked
  switchboard contract --base-url URL PATHS  replay contract fixtures against a server
config file: --config FILE, else $SWITCHBOARD_CONFIG, else config/switchboard.yaml`;

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const file = resolveConfigPath(values.config, process.env);
  const config = loadConfigFile(file);
  const logger = createLogger(config.log.level);
  const gateway = await startGateway(config, logger);
  logger.info({ config: file }, 'switchboard started');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      gateway.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

function checkConfig(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
  const file = resolveConfigPath(positionals[0] ?? values.config, process.env);
  const config = loadConfigFile(file);
  console.log(`# ${file}: valid\n${stringify(maskSecrets(config))}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'check-config':
        return checkConfig(rest);
      case 'contract':
        return await runContractCli(rest);
      default:
        console.error(USAGE);
        return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error(`switchboard: ${(err as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
