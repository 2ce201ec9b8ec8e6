import type { Command } from 'commander';
import { registerNew } from './new.js';
import { registerInit } from './init.js';
import { registerBuild } from './build.js';
import { registerInspect } from './inspect.js';
import { registerPackage } from './package.js';
import { registerLogin } from './login.js';
import { registerPush } from './push.js';
import { registerPull } from './pull.js';
import { registerValidate } from './validate.js';
import { registerManifest } from './manifest.js';
import { registerDeploy } from './deploy.js';
import { registerMigrate } from './migrate.js';
import { registerSealos } from './sealos.js';
import { registerDoctor } from './doctor.js';
import { registerServe } from './serve.js';
import { registerReplay } from './replay.js';
import { registerTest } from './test.js';

/**
 * Every `istio-wasm` command, in the order `--help` lists them. Each module registers its options
 * and loads its core only when it runs, so start-up stays cheap.
 */
export function registerCommands(program: Command): void {
  registerNew(program);
  registerInit(program);
  registerBuild(program);
  registerTest(program);
  registerServe(program);
  registerReplay(program);
  registerInspect(program);
  registerPackage(program);
  registerLogin(program);
  registerPush(program);
  registerPull(program);
  registerManifest(program);
  registerValidate(program);
  registerDeploy(program);
  registerMigrate(program);
  registerSealos(program);
  registerDoctor(program);
}
