import type { ProjectConfig, Language } from '../project/schema.js';

/** What a builder gets: the project, where to log tool output, and Ctrl-C. */
export interface BuildContext {
  root: string;
  config: ProjectConfig;
  /** Absolute path the module must be written to (config.module resolved against root). */
  output: string;
  signal?: AbortSignal | undefined;
  /** Called with each line the toolchain prints (the command shows it on stderr with --verbose). */
  onOutput?: ((line: string) => void) | undefined;
  /** Called with what the builder chose and why (which compiler), shown as a step. */
  onNote?: ((line: string) => void) | undefined;
}

/** One tool a language needs, as `build` and `doctor` report it. */
export interface ToolCheck {
  tool: string;
  found: boolean;
  version?: string;
  /** How to get it, one line (shown when missing). */
  fix: string;
}

/** A native toolchain for one language. */
export interface LanguageBuilder {
  language: Language;
  /** Checks the tools this language needs, without building anything. */
  toolchain(root: string): Promise<ToolCheck[]>;
  /** Builds the module to ctx.output; throws CliError (code TOOLCHAIN_MISSING / BUILD_FAILED). */
  build(ctx: BuildContext): Promise<void>;
}
