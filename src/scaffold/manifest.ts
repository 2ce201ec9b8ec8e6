import type { Language } from '../project/schema.js';

/**
 * `template.json`: the small manifest every template carries (built-in or from git/a directory).
 * Built-in values (name, namespace, image, ...) are always available; `variables` declares the
 * template's own, which are resolved like the built-ins (flag `--set key=value`, values file,
 * prompt, default) and handed to Handlebars under their name.
 */
/** `list`: strings given comma-separated (`--set features=serde,logging`), each one of `choices` when set. */
export type VariableType = 'string' | 'bool' | 'choice' | 'json' | 'list';

export interface TemplateVariable {
  name: string;
  prompt: string;
  type: VariableType;
  default?: string | boolean | number | string[] | Record<string, unknown>;
  choices?: string[];
  /** A regular expression (JavaScript syntax, anchored by the author) string values must match. */
  pattern?: string;
  help?: string;
}

export interface TemplateManifest {
  name: string;
  description: string;
  /** Language of the generated plugin; decides the builder. */
  /** A language of src/project/schema.ts (or an alias of one, read as that language). */
  language: Language;
  /** Path of the built module in the generated project. */
  module?: string;
  /** Whether the template's files include a package.json (then `npm install` is queued). */
  packageJson?: boolean;
  /**
   * Also render create-istio-wasm's shared project files (Makefile, Sealfile, deploy/) beside the
   * template's own. Built-in templates do; a template from git or a directory opts in.
   */
  shared?: boolean;
  /**
   * More of create-istio-wasm's built-in layers (folders under templates/ starting with "_") to
   * render before the template's own files, e.g. "_example-tests" for the example plugin's tests.
   */
  layers?: string[];
  variables?: TemplateVariable[];
}

export const manifestFileName = 'template.json';
