// The Kubernetes manifests and the Dockerfile, checked as far as this machine allows (no cluster, no
// Docker daemon): every manifest validates against the Kubernetes OpenAPI schemas
// (kubernetes-models), the objects reference each other correctly, the ConfigMap's config passes
// the router's own schema, and the Dockerfile copies files that exist and runs as non-root.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load-config.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const DIR = join(ROOT, 'deploy/kubernetes');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function validate(o: Obj): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o).validate();
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects: { file: string; obj: Obj }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return { file, obj: d.toJS() as Obj };
  }),
);
const byKind = (kind: string) => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);
const one = (kind: string) => {
  const list = byKind(kind);
  expect(list, kind).toHaveLength(1);
  return list[0]!;
};

describe('Kubernetes manifests', () => {
  it.each(objects.map((o) => [`${o.file}: ${o.obj.kind} ${o.obj.metadata?.name}`, o.obj]))(
    '%s is valid against the Kubernetes schema',
    (_name, obj) => {
      expect(() => validate(obj as Obj)).not.toThrow();
    },
  );

  it('the validation rejects broken objects (so the check can fail)', () => {
    const deployment = structuredClone(one('Deployment'));
    deployment.spec.replicas = 'two';
    expect(() => validate(deployment)).toThrow(/replicas/);
    const noImage = structuredClone(one('Deployment'));
    delete noImage.spec.template.spec.containers[0].name;
    expect(() => validate(noImage)).toThrow(/name/);
    const hpa = structuredClone(one('HorizontalPodAutoscaler'));
    delete hpa.spec.maxReplicas;
    expect(() => validate(hpa)).toThrow(/maxReplicas/);
  });

  it('the kustomization lists every manifest except the example Secret', () => {
    const k = parseAllDocuments(
      readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'),
    )[0]!.toJS() as {
      resources: string[];
    };
    expect([...k.resources].sort()).toEqual(
      files.filter((f) => f !== 'secret.example.yaml').sort(),
    );
  });

  it('objects reference each other: selectors, probes, ports, HPA target, config and secrets', () => {
    const deployment = one('Deployment');
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    expect(matches(one('Service').spec.selector)).toBe(true);
    expect(matches(one('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);

    const container = deployment.spec.template.spec.containers[0];
    const port = container.ports.find((p: Obj) => p.name === 'http');
    expect(port.containerPort).toBe(8080);
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(one('Service').spec.ports[0].targetPort).toBe('http');
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);

    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);

    const configMaps = byKind('ConfigMap').map((c) => c.metadata.name);
    const secrets = byKind('Secret').map((s) => s.metadata.name);
    for (const v of deployment.spec.template.spec.volumes)
      if (v.configMap) expect(configMaps).toContain(v.configMap.name);
    for (const e of container.envFrom ?? [])
      if (e.secretRef) expect(secrets).toContain(e.secretRef.name);
    const mount = container.volumeMounts.find((m: Obj) => m.name === 'config');
    const args: string[] = container.args;
    expect(args[args.indexOf('--config') + 1]).toBe(`${mount.mountPath}/config.yaml`);
  });

  it("the ConfigMap's config passes the router's schema, with every ${env:…} provided by the Secret", () => {
    const text = one('ConfigMap').data['config.yaml'] as string;
    const secret = one('Secret').stringData as Record<string, string>;
    const { config } = parseConfigText(text, 'configmap.yaml', secret);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.state).toMatchObject({ kind: 'redis', redisUrl: secret.REDIS_URL });
    expect(config.requestLog).toMatchObject({ kind: 'postgres', postgresUrl: secret.DATABASE_URL });
    // Every key the config names must come from the Secret.
    for (const d of config.deployments) if (d.apiKeyEnv) expect(secret).toHaveProperty(d.apiKeyEnv);
    expect(secret).toHaveProperty(config.auth.adminKeyEnv!);
    // And a variable missing from the Secret is caught.
    const { REDIS_URL: _dropped, ...incomplete } = secret;
    void _dropped;
    expect(() => parseConfigText(text, 'configmap.yaml', incomplete)).toThrow(/REDIS_URL/);
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ') // continuation lines
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => l.startsWith('FROM '));

  it('is multi-stage, runs as a non-root user, exposes 8080 and has a health check', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = lines.slice(lines.lastIndexOf(stages.at(-1)!));
    const user = final.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER\s+(root|0)\b/);
    expect(final).toContain('EXPOSE 8080');
    const health = final.find((l) => l.startsWith('HEALTHCHECK'));
    expect(health).toMatch(/CMD .*\/healthz/);
  });

  it('copies only paths that exist in the repository (or the build stage)', () => {
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      const parts = l.split(/\s+/).slice(1);
      for (const src of parts.slice(0, -1))
        expect(existsSync(join(ROOT, src)), `${l}: ${src}`).toBe(true);
    }
  });
});
