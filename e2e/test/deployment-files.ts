import { readdirSync, readFileSync } from 'node:fs';
import { DockerfileParser, type Instruction, ModifiableInstruction } from 'dockerfile-ast';
import ipaddr from 'ipaddr.js';
import { parseAllDocuments } from 'yaml';

/** Readers for the deployment files (compose, Dockerfile, Kubernetes manifests), shaped for the wiring checks. */

export const repoRoot = new URL('../../', import.meta.url);

export function readRepoFile(path: string): string {
  return readFileSync(new URL(path, repoRoot), 'utf8');
}

/**
 * Every YAML document in a file, as plain data; a syntax error or a duplicate key fails the read. Merge keys (`<<:`)
 * are applied, as docker compose applies them.
 */
export function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readRepoFile(path), { uniqueKeys: true, merge: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map((e) => e.message).join('; ')}`);
    return document.toJS() as unknown;
  });
}

export function readYaml<T>(path: string): T {
  const [document, ...rest] = readYamlDocuments(path);
  if (rest.length > 0) throw new Error(`${path}: expected one YAML document, found ${rest.length + 1}`);
  return document as T;
}

// ---- docker compose ---------------------------------------------------------------------------------------------------

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  expose?: string[];
  container_name?: string;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  restart?: string;
  volumes?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

/**
 * Compose's variable interpolation as `docker compose` applies it to a value: `${NAME}`, `${NAME:-default}`,
 * `${NAME-default}`, `${NAME:?error}`, `${NAME?error}` and `$$`. A required variable that is missing throws.
 */
export function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (match, name?: string, colon?: string, operator?: string, word?: string) => {
      if (match === '$$') return '$';
      const set = name! in variables;
      const value = variables[name!];
      const missing = colon === ':' ? !value : !set;
      if (operator === '?' && missing) throw new Error(`required variable ${name} is missing: ${word}`);
      if (operator === '-' && missing) return word!;
      return value ?? '';
    },
  );
}

/** A service's environment as its container sees it, after interpolation with the given host variables. */
export function containerEnvironment(service: ComposeService, variables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), variables)]));
}

/** "330s", "5m", "1m30s" in seconds. */
export function durationSeconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== duration) throw new Error(`not a compose duration: ${duration}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
  return parts.reduce((total, [, amount, suffix]) => total + Number(amount) * unit[suffix as keyof typeof unit], 0);
}

// ---- Dockerfile -------------------------------------------------------------------------------------------------------

export interface DockerStage {
  name: string | null;
  /** The FROM image with build arguments resolved to their defaults. */
  image: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile in order, each with its instructions (FROM included). */
export function dockerStages(text: string): DockerStage[] {
  const dockerfile = DockerfileParser.parse(text);
  const defaults = new Map(
    dockerfile.getInitialARGs().flatMap((arg) => {
      const property = arg.getProperty();
      return property?.getValue() ? [[property.getName(), property.getValue()!] as const] : [];
    }),
  );
  const stages: DockerStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', , name = null] = instruction.getArguments().map((argument) => argument.getValue());
      stages.push({ name, image: image.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => defaults.get(arg) ?? ''), instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

export function instructionsOf(stage: DockerStage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);
}

/** An instruction's flags (`--from=build`) and arguments as written; a JSON-form CMD gives its strings. */
export function argumentsOf(instruction: Instruction): string[] {
  const content = instruction.getArgumentsContent() ?? '';
  if (content.trim().startsWith('[')) return JSON.parse(content) as string[];
  const flags = instruction instanceof ModifiableInstruction ? instruction.getFlags() : [];
  return [
    ...flags.map((flag) => (flag.getValue() === null ? `--${flag.getName()}` : `--${flag.getName()}=${flag.getValue()}`)),
    ...instruction.getArguments().map((argument) => argument.getValue()),
  ];
}

// ---- Kubernetes -------------------------------------------------------------------------------------------------------

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Probe {
  httpGet: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  command: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: { name: string; value?: string }[];
  envFrom?: ({ configMapRef: { name: string } } | { secretRef: { name: string } })[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  };
}

export interface Workload extends K8sObject {
  spec: { replicas?: number; selector?: { matchLabels: Record<string, string> }; template: PodTemplate };
}

export const K8S_DIR = 'infra/k8s/';

/** Every object in infra/k8s/*.yaml, with the file it came from. */
export function readManifests(): { file: string; object: K8sObject }[] {
  return readdirSync(new URL(K8S_DIR, repoRoot))
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .sort()
    .flatMap((file) => readYamlDocuments(`${K8S_DIR}${file}`).map((object) => ({ file, object: object as K8sObject })));
}

export function matchesLabels(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The number a probe's port (a name or a number) stands for in its container, or undefined when it names none. */
export function resolvePort(container: Container, port: string | number): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

// ---- CIDR ranges ------------------------------------------------------------------------------------------------------

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseCidr(cidr: string): Cidr {
  return ipaddr.parseCIDR(cidr);
}

/** Whether `outer` holds all of `inner` (same family). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer[0].kind() === inner[0].kind() && outer[1] <= inner[1] && inner[0].match(outer);
}

/** Whether two ranges share any address: CIDR ranges are either nested or disjoint. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}
