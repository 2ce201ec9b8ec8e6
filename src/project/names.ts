/** Kubernetes and OCI naming rules the scaffolder and config loader share. */

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label (what a WasmPlugin name must be to double as a Helm release and image name). */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 63) return `must be at most 63 characters (it has ${value.length})`;
  if (!dns1123Label.test(value)) {
    return 'must consist of lower-case letters, digits and "-", and start and end with a letter or digit';
  }
  return undefined;
}

const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelPrefix = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes label key (`[prefix/]name`). */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !labelPrefix.test(prefix))) {
    return `label key prefix "${prefix}" must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !labelName.test(name)) {
    return `label key "${key}" must be 1-63 characters of letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !labelValue.test(value)) {
    return `label value "${value}" must be at most 63 characters of letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Parses `k=v,k2=v2` into labels, or says what is wrong. */
export function parseLabels(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `"${part}" is not key=value`;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) return problem;
    labels[key] = value;
  }
  if (Object.keys(labels).length === 0) return 'at least one key=value label is needed';
  return labels;
}
