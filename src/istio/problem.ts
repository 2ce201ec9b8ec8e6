/** One finding about a manifest: the field path (`spec.wasm.vmConfig.env[1].value`) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

export interface ResourceCheck {
  errors: Problem[];
  warnings: Problem[];
}
