// One benchmark scenario, parameterised only by environment variables, so the harness and the
// Kubernetes k6 operator run the same file:
//   BASE_URL   the service, e.g. http://127.0.0.1:8000              (required)
//   SCENARIO   devices-get | devices-post | users | fib | fetch-external | io-mix: a contract
//              request by name, for standalone runs and the k6 operator
//   METHOD, URL_PATH, BODY, EXPECTED_STATUS  any request instead (the harness passes its
//              scenario's definition, so a new scenario needs nothing here)
//   BODIES     a file of bodies, one per line, sent in turn (devices-post: unique devices)
//   MODE       closed (constant-vus: VUS users in a loop) | open (constant-arrival-rate: RATE/s)
//   VUS, DURATION (e.g. 10s), RATE, MAX_VUS, FIB_N (25), TIMEOUT (30s), NO_KEEPALIVE (1 = off)
//   FIRMWARE_PREFIX  devices-post: start of every firmware sent (so rows can be found and removed)
//   GRACEFUL_STOP  how long requests in flight at the end may finish (30s); they are counted
//   MAX_ERROR_RATE  threshold on http_req_failed (0.01): responses without the scenario's success
//                   status (201 for devices-post, else 200) and transport errors
//   MAX_P99_MS      threshold on p(99) of http_req_duration (1000; fetch-external 2000)
//   SUMMARY_PATH    also write k6's summary data as JSON there (the harness sets it)
//
// `k6 run loadtest/k6/scenario.js` behaves like any k6 test: k6's own end-of-test summary, and
// exit code 99 when a threshold is crossed. The harness runs it with --no-thresholds (a level
// past a threshold is still a valid measurement) and reads SUMMARY_PATH.
//
// Cheap by construction: each iteration is one request and nothing else. Everything is counted
// by k6's built-in metrics (http_reqs, http_req_duration, http_req_failed, dropped_iterations),
// whose samples carry the status and error_code tags anyway; there are no custom metrics.
import http from 'k6/http';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';

const env = (name, fallback) => (__ENV[name] === undefined || __ENV[name] === '' ? fallback : __ENV[name]);
const BASE_URL = env('BASE_URL', 'http://127.0.0.1:8000');
const SCENARIO = env('SCENARIO', 'devices-get');
const MODE = env('MODE', 'closed');
const DURATION = env('DURATION', '10s');
const FIB_N = env('FIB_N', '25');
const FIRMWARE_PREFIX = env('FIRMWARE_PREFIX', 'k6-');
const SUMMARY_PATH = env('SUMMARY_PATH', '');
const URL_PATH = env('URL_PATH', '');
const EXPECTED = Number(env('EXPECTED_STATUS', SCENARIO === 'devices-post' ? '201' : '200'));
const PARAMS = {
  headers: { 'Content-Type': 'application/json' },
  timeout: env('TIMEOUT', '30s'),
  // http_req_failed and the {expected_response:true} latency use the scenario's success status.
  responseCallback: http.expectedStatuses(EXPECTED),
};
// Read once in the init context and shared by every VU: a request only indexes it.
const BODIES = env('BODIES', '')
  ? new SharedArray('bodies', () => open(env('BODIES', '')).split('\n').filter((line) => line))
  : null;

// A unique, valid body per request: VU id and iteration make the mac and firmware unique.
function deviceBody() {
  const n = exec.vu.idInTest * 1e7 + exec.vu.iterationInScenario;
  const hex = n.toString(16).padStart(12, '0').slice(-12).toUpperCase();
  const mac = hex.match(/../g).join('-');
  return JSON.stringify({ mac, firmware: `${FIRMWARE_PREFIX}${exec.vu.idInTest}.${exec.vu.iterationInScenario}` });
}

const REQUESTS = {
  'devices-get': () => http.get(`${BASE_URL}/api/devices`, PARAMS),
  'devices-post': () => http.post(`${BASE_URL}/api/devices`, deviceBody(), PARAMS),
  users: () => http.get(`${BASE_URL}/api/users`, PARAMS),
  fib: () => http.get(`${BASE_URL}/api/fib/${FIB_N}`, PARAMS),
  'fetch-external': () => http.get(`${BASE_URL}/api/fetch-external`, PARAMS),
  'io-mix': () => http.post(`${BASE_URL}/api/io-mix`, '{}', PARAMS),
};
// The harness's form: the request as its scenario defines it.
function defined() {
  const body = BODIES ? BODIES[exec.scenario.iterationInTest % BODIES.length] : env('BODY', null);
  return http.request(env('METHOD', 'GET'), `${BASE_URL}${URL_PATH}`, body, PARAMS);
}
if (!URL_PATH && !REQUESTS[SCENARIO]) throw new Error(`unknown SCENARIO ${SCENARIO}; known: ${Object.keys(REQUESTS)}`);

const executor = MODE === 'open'
  ? {
      executor: 'constant-arrival-rate',
      rate: Number(env('RATE', '100')),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Number(env('VUS', '100')),
      maxVUs: Number(env('MAX_VUS', env('VUS', '100'))),
    }
  : { executor: 'constant-vus', vus: Number(env('VUS', '10')), duration: DURATION };

const thresholds = {
  http_req_failed: [`rate<=${env('MAX_ERROR_RATE', '0.01')}`],
  http_req_duration: [`p(99)<${env('MAX_P99_MS', SCENARIO === 'fetch-external' ? '2000' : '1000')}`],
};

// Exact counts by status code and by transport error for the harness, at no per-request cost:
// k6 keeps a submetric (e.g. http_reqs{status:503}) in its summary only when a threshold names
// it, so these always-true thresholds make k6 count http_reqs by those tags itself. A status
// or error code not listed is still counted: http_reqs minus the listed ones (the harness
// reports it as "other"). Only with SUMMARY_PATH, to keep the standalone summary short.
// Statuses: the contract's (CONTRACT.md) and the usual neighbours; 0 = no response.
const STATUSES = [0, 200, 201, 204, 400, 404, 405, 408, 413, 422, 429, 500, 502, 503, 504];
// k6 error codes of requests that got no response (https://grafana.com/docs/k6/latest/javascript-api/error-codes/);
// 4xx/5xx responses also carry one (1000 + status), so these are the codes below 1400.
const TRANSPORT_ERRORS = [1000, 1010, 1050, 1100, 1101, 1200, 1201, 1202, 1210, 1211, 1212, 1213, 1220, 1300];
if (SUMMARY_PATH) {
  for (const s of STATUSES) thresholds[`http_reqs{status:${s}}`] = ['count>=0'];
  for (const c of TRANSPORT_ERRORS) thresholds[`http_reqs{error_code:${c}}`] = ['count>=0'];
}

export const options = {
  // Requests in flight at the end finish and are counted (like oha -w): abandoning them would
  // drop exactly the slowest ones from the percentiles.
  scenarios: { main: { ...executor, gracefulStop: env('GRACEFUL_STOP', '30s') } },
  noConnectionReuse: env('NO_KEEPALIVE', '0') === '1',
  discardResponseBodies: true,
  summaryTrendStats: ['min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'avg', 'count'],
  thresholds,
};

export default function () {
  if (URL_PATH) defined();
  else REQUESTS[SCENARIO]();
}

// Returning nothing keeps k6's own end-of-test summary on stdout: k6 prints it only when
// handleSummary returns no result, and its formatter (the k6-summary jslib) is compiled into
// k6 but not importable, while importing it from jslib.k6.io needs the network. So a plain
// `k6 run` (and every k6-operator runner pod, in its log) shows the usual summary; add k6's
// --summary-export=FILE for a JSON copy alongside it. With SUMMARY_PATH (the harness), the
// summary data goes to that file as JSON and stdout gets a few lines of the same numbers.
export function handleSummary(data) {
  if (!SUMMARY_PATH) return undefined;
  return { [SUMMARY_PATH]: JSON.stringify(data), stdout: brief(data) };
}

function brief(data) {
  const m = data.metrics;
  const count = (name) => (m[name] ? m[name].values.count : 0);
  const seconds = data.state.testRunDurationMs / 1000;
  const lines = [`${SCENARIO} ${MODE} against ${BASE_URL}: ${count('http_reqs')} requests in ${seconds.toFixed(3)} s`];
  const tagged = Object.keys(m).filter((k) => k.startsWith('http_reqs{') && count(k) > 0);
  lines.push(`  by tag: ${tagged.map((k) => `${k.slice(10, -1)}=${count(k)}`).join(' ') || 'none'}`);
  const d = m['http_req_duration{expected_response:true}'];
  if (d) {
    const v = d.values;
    lines.push(`  success latency ms: p50=${v.med.toFixed(3)} p90=${v['p(90)'].toFixed(3)} ` +
               `p99=${v['p(99)'].toFixed(3)} max=${v.max.toFixed(3)}`);
  }
  if (m.dropped_iterations) lines.push(`  dropped iterations: ${count('dropped_iterations')}`);
  return `${lines.join('\n')}\n`;
}
