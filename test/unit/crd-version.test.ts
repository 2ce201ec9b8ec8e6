import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/cli.js';
import { crdIstioVersion } from '../../src/istio/crd-version.js';
import { kubectlErrorLine } from '../../src/util/kubectl-error.js';

/** Which Istio a cluster's CRD comes from, read from Istio's own CRDs (test/fixtures/istio, the 1.30 line). */
type Obj = Record<string, any>;
const load = (file: string) => parse(readFileSync(path.join(repoRoot, 'test/fixtures/istio', file), 'utf8')) as Obj;
const wasmPlugin = () => load('istio-wasmplugin-crd.yaml');
const specOf = (crd: Obj) => crd.spec.versions[0].schema.openAPIV3Schema.properties.spec as Obj;

describe('crdIstioVersion', () => {
  it('crd-all.gen.yaml as Istio 1.30 ships it (no version label): 1.27 or newer, from the schema', () => {
    expect(crdIstioVersion(wasmPlugin())).toMatchObject({ text: '1.27 or newer', source: 'its schema', minMinor: 27, maxMinor: undefined });
  });

  it('the TrafficExtension kind exists only since 1.30', () => {
    expect(crdIstioVersion(load('istio-trafficextension-crd.yaml'))).toMatchObject({ text: '1.30 or newer', minMinor: 30 });
  });

  it('labels as the base chart (helm, istioctl) and the old operator set them give the exact release', () => {
    const crd = wasmPlugin();
    crd.metadata.labels = { 'app.kubernetes.io/version': '1.30.3', 'helm.sh/chart': 'base-1.30.3' };
    expect(crdIstioVersion(crd)).toEqual({ text: '1.30.3', source: 'label app.kubernetes.io/version', minMinor: 30, maxMinor: 30 });
    crd.metadata.labels = { 'helm.sh/chart': 'base-1.29.1' };
    expect(crdIstioVersion(crd)).toMatchObject({ text: '1.29.1', source: 'label helm.sh/chart' });
    crd.metadata.labels = { 'operator.istio.io/version': '1.18.2' };
    expect(crdIstioVersion(crd)).toMatchObject({ text: '1.18.2', minMinor: 18 });
    crd.metadata.labels = { 'app.kubernetes.io/version': 'not-a-version', chart: 'istio' };
    expect(crdIstioVersion(crd).source).toBe('its schema');
  });

  it('an older schema: what it lacks bounds it from above', () => {
    const crd = wasmPlugin();
    const spec = specOf(crd);
    delete spec.properties.targetRefs;
    delete spec['x-kubernetes-validations'];
    spec.properties.failStrategy.enum = ['FAIL_CLOSE', 'FAIL_OPEN'];
    expect(crdIstioVersion(crd)).toMatchObject({ text: '1.20 to 1.21', minMinor: 20, maxMinor: 21 });
    spec.properties.targetRefs = {};
    expect(crdIstioVersion(crd)).toMatchObject({ text: '1.22 to 1.26', minMinor: 22, maxMinor: 26 });
  });

  it('no structural schema (before 1.20)', () => {
    const crd = wasmPlugin();
    crd.spec.versions[0].schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    expect(crdIstioVersion(crd)).toMatchObject({ text: 'before 1.20', maxMinor: 19 });
  });
});

describe('kubectlErrorLine', () => {
  it('keeps the API server\'s refusal, one line, without klog noise', () => {
    const stderr = [
      'E1202 04:20:11.123456   12345 memcache.go:287] couldn\'t get resource list',
      'Error from server (Invalid): WasmPlugin.extensions.istio.io "x" is invalid: spec: Invalid value: "object": only one of targetRefs or selector can be set',
      '',
    ].join('\n');
    expect(kubectlErrorLine(stderr)).toBe('Error from server (Invalid): WasmPlugin.extensions.istio.io "x" is invalid: spec: Invalid value: "object": only one of targetRefs or selector can be set');
  });

  it('joins one refusal per document, and takes kubectl\'s own error line over its advice', () => {
    expect(kubectlErrorLine('Error from server (NotFound): namespaces "a" not found\nError from server (NotFound): namespaces "b" not found\n')).toBe('Error from server (NotFound): namespaces "a" not found; Error from server (NotFound): namespaces "b" not found');
    expect(kubectlErrorLine('error: Apply failed with 1 conflict: conflict with "helm": .spec.url\nPlease review the fields above--they currently have other managers.\n')).toBe('error: Apply failed with 1 conflict: conflict with "helm": .spec.url');
  });

  it('folds the conflicting fields listed under a server-side apply conflict into the line', () => {
    const stderr = ['error: Apply failed with 2 conflicts: conflicts with "kubectl-edit":', '- .spec.phase', '- .spec.priority', 'Please review the fields above--they currently have other managers. Here', 'are the ways you can resolve this warning:', '* If you intend to manage all of these fields, please re-run the apply'].join('\n');
    expect(kubectlErrorLine(stderr)).toBe('error: Apply failed with 2 conflicts: conflicts with "kubectl-edit": .spec.phase, .spec.priority');
  });

  it('else the last line, else the fallback', () => {
    expect(kubectlErrorLine('To further debug, use cluster-info dump\nThe connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n')).toMatch(/^The connection to the server 127\.0\.0\.1:1 was refused/);
    expect(kubectlErrorLine('', 'exit 1')).toBe('exit 1');
  });
});
