/**
 * The @inquirer prompts this CLI draws, each from its own package: @inquirer/prompts would bring
 * every prompt into the bundle, its editor alone ~650 KB of encoding tables. Loaded only to prompt
 * on a terminal (prompts.ts, prompt-password.ts).
 */
export { default as confirm } from '@inquirer/confirm';
export { default as input } from '@inquirer/input';
export { default as password } from '@inquirer/password';
export { default as select } from '@inquirer/select';
