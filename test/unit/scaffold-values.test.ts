import { describe, expect, it } from 'vitest';
import { resolveValues, type ValueSources } from '../../src/scaffold/values.js';
import { scripted } from '../helpers/prompter.js';
import { CliError } from '../../src/errors.js';

const base: ValueSources = { flags: {}, env: {}, cwd: process.cwd(), dirName: 'my-plugin', yes: true };

describe('resolveValues', () => {
  it('uses the declared defaults under --yes', async () => {
    const v = await resolveValues(base, []);
    expect(v).toMatchObject({
      name: 'my-plugin', namespace: 'istio-system', selector: { istio: 'ingressgateway' }, phase: 'AUTHN', priority: 10,
      failStrategy: 'FAIL_CLOSE', image: 'localhost:5000/wasm/my-plugin:v0.1.0', istioVersion: '1.30',
    });
    expect(v.targetRef).toBeUndefined();
  });

  it('flag beats values file beats environment', async () => {
    const v = await resolveValues({
      ...base,
      flags: { namespace: 'from-flag' },
      valuesFile: { namespace: 'from-file', image: 'file.example.com/x:v1', phase: 'STATS' },
      env: { REPO: 'env.example.com', IMG: 'y:v2' },
    }, []);
    expect(v.namespace).toBe('from-flag');
    expect(v.image).toBe('file.example.com/x:v1');
    expect(v.phase).toBe('STATS');
    const fromEnv = await resolveValues({ ...base, env: { REPO: 'env.example.com:5000', IMG: 'wasm/y:v2' } }, []);
    expect(fromEnv.image).toBe('env.example.com:5000/wasm/y:v2');
  });

  it('names every missing flag when not interactive and without --yes', async () => {
    const error = await resolveValues({ ...base, yes: false }, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    const message = (error as CliError).message;
    for (const flag of ['--namespace', '--selector', '--phase', '--priority', '--fail-strategy', '--plugin-config', '--image', '--istio-version']) {
      expect(message).toContain(flag);
    }
    expect(message).not.toMatch(/--name(?!space)/);
  });

  it('asks only for what flags did not give', async () => {
    const prompter = scripted({ 'Namespace': 'edge', 'Priority': '7' });
    const v = await resolveValues({ ...base, yes: false, prompter, flags: { phase: 'AUTHZ', image: 'r.example.com/p:v1' } }, []);
    expect(v.namespace).toBe('edge');
    expect(v.priority).toBe(7);
    expect(v.phase).toBe('AUTHZ');
    expect(prompter.asked.some((m) => m.startsWith('Filter chain phase'))).toBe(false);
    expect(prompter.asked.some((m) => m.startsWith('Image'))).toBe(false);
    expect(prompter.asked.some((m) => m.startsWith('Plugin name'))).toBe(false);
  });

  it('an empty selector at the prompt asks for a Gateway', async () => {
    const prompter = scripted({ 'Workload selector': '', 'Gateway to attach to': 'Gateway/public' });
    const v = await resolveValues({ ...base, yes: false, prompter }, []);
    expect(v.selector).toBeUndefined();
    expect(v.targetRef).toEqual({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' });
  });

  it('reads pluginConfig from @file and refuses non-objects', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-values-'));
    await writeFile(path.join(dir, 'cfg.json'), '{"protectedPrefix":"/api"}');
    const v = await resolveValues({ ...base, cwd: dir, flags: { pluginConfig: '@cfg.json' } }, []);
    expect(v.pluginConfig).toEqual({ protectedPrefix: '/api' });
    await expect(resolveValues({ ...base, flags: { pluginConfig: '"text"' } }, [])).rejects.toThrow(/must be a JSON object/);
  });

  it('resolves template variables from --set, the values file, and defaults', async () => {
    const vars = [
      { name: 'owner', prompt: 'Owner', type: 'string' as const, default: 'platform', pattern: '^[a-z]+$' },
      { name: 'metrics', prompt: 'Metrics?', type: 'bool' as const, default: false },
      { name: 'level', prompt: 'Level', type: 'choice' as const, choices: ['a', 'b'], default: 'a' },
    ];
    const v = await resolveValues({ ...base, flags: { set: { owner: 'edge', metrics: 'yes' } }, valuesFile: { level: 'b' } }, vars);
    expect(v.extra).toEqual({ owner: 'edge', metrics: true, level: 'b' });
    await expect(resolveValues({ ...base, flags: { set: { level: 'c' } } }, vars)).rejects.toThrow(/level must be one of a, b/);
    await expect(resolveValues({ ...base, yes: false, flags: { namespace: 'a', selector: 'a=b', phase: 'AUTHN', priority: 1, failStrategy: 'FAIL_OPEN', pluginConfig: '{}', image: 'r.io/a:v1', istioVersion: '1.30' } }, vars))
      .rejects.toThrow(/--set owner=…/);
  });

  it('refuses bad values with the source and flag', async () => {
    await expect(resolveValues({ ...base, flags: { priority: '1.5' } }, [])).rejects.toThrow(/priority from --priority must be a 32-bit integer/);
    await expect(resolveValues({ ...base, flags: { selector: 'app' } }, [])).rejects.toThrow(/"app" is not key=value/);
    await expect(resolveValues({ ...base, flags: { istioVersion: '1.9' } }, [])).rejects.toThrow(/must be one of 1\.30/);
    await expect(resolveValues({ ...base, valuesFile: { namespace: 'Bad NS' } }, [])).rejects.toThrow(/namespace in the values file/);
    await expect(resolveValues({ ...base, env: { REPO: 'r.io', IMG: 'UP/x:1' } }, [])).rejects.toThrow(/REPO\/IMG/);
  });
});
