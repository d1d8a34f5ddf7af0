// One benchmark scenario, parameterised only by environment variables, so the harness and the
// Kubernetes k6 operator run the same file:
//   BASE_URL   the service, e.g. http://127.0.0.1:8000              (required)
//   SCENARIO   devices-get | devices-post | users | fib | fetch-external | io-mix
//   MODE       closed (constant-vus: VUS users in a loop) | open (constant-arrival-rate: RATE/s)
//   VUS, DURATION (e.g. 10s), RATE, MAX_VUS, FIB_N (25), TIMEOUT (30s), NO_KEEPALIVE (1 = off)
//   FIRMWARE_PREFIX  devices-post: start of every firmware sent (so rows can be found and removed)
//   GRACEFUL_STOP  how long requests in flight at the end may finish (30s); they are counted
//   SUMMARY_PATH  where handleSummary writes the JSON summary (default: stdout)
//
// k6's own http_reqs rate divides by the whole test run and http_req_failed trusts
// expected_response, so the script also counts every status code and transport error code in
// Counters (status_<code>, transport_<k6 error code>); the harness computes requests/s and
// the error rate from those counts and the scenario's duration itself.
import http from 'k6/http';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';

const env = (name, fallback) => (__ENV[name] === undefined || __ENV[name] === '' ? fallback : __ENV[name]);
const BASE_URL = env('BASE_URL', 'http://127.0.0.1:8000');
const SCENARIO = env('SCENARIO', 'devices-get');
const MODE = env('MODE', 'closed');
const DURATION = env('DURATION', '10s');
const FIB_N = env('FIB_N', '25');
const FIRMWARE_PREFIX = env('FIRMWARE_PREFIX', 'k6-');
const JSON_HEADERS = { headers: { 'Content-Type': 'application/json' }, timeout: env('TIMEOUT', '30s') };

// Counters must be declared in the init context; the ones never used do not appear in the summary.
const byStatus = {};
for (let code = 100; code < 600; code++) byStatus[code] = new Counter(`status_${code}`);
const byTransportError = {};
for (let code = 1000; code < 1800; code++) byTransportError[code] = new Counter(`transport_${code}`);
const transportOther = new Counter('transport_other');
// Latency of every completed response (any status); k6's http_req_duration also counts failed
// connections as 0 ms samples, which would flatter the percentiles.
const responseTime = new Trend('response_time', true);

// A unique, valid body per request: VU id and iteration make the mac and firmware unique.
function deviceBody() {
  const n = exec.vu.idInTest * 1e7 + exec.vu.iterationInScenario;
  const hex = n.toString(16).padStart(12, '0').slice(-12).toUpperCase();
  const mac = hex.match(/../g).join('-');
  return JSON.stringify({ mac, firmware: `${FIRMWARE_PREFIX}${exec.vu.idInTest}.${exec.vu.iterationInScenario}` });
}

const REQUESTS = {
  'devices-get': () => http.get(`${BASE_URL}/api/devices`, JSON_HEADERS),
  'devices-post': () => http.post(`${BASE_URL}/api/devices`, deviceBody(), JSON_HEADERS),
  users: () => http.get(`${BASE_URL}/api/users`, JSON_HEADERS),
  fib: () => http.get(`${BASE_URL}/api/fib/${FIB_N}`, JSON_HEADERS),
  'fetch-external': () => http.get(`${BASE_URL}/api/fetch-external`, JSON_HEADERS),
  'io-mix': () => http.post(`${BASE_URL}/api/io-mix`, '{}', JSON_HEADERS),
};
if (!REQUESTS[SCENARIO]) throw new Error(`unknown SCENARIO ${SCENARIO}; known: ${Object.keys(REQUESTS)}`);

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

export const options = {
  // Requests in flight at the end finish and are counted (like oha -w): abandoning them would
  // drop exactly the slowest ones from the percentiles.
  scenarios: { main: { ...executor, gracefulStop: env('GRACEFUL_STOP', '30s') } },
  noConnectionReuse: env('NO_KEEPALIVE', '0') === '1',
  discardResponseBodies: true,
  summaryTrendStats: ['min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'avg', 'count'],
};

export default function () {
  const res = REQUESTS[SCENARIO]();
  if (res.status > 0) {
    responseTime.add(res.timings.duration);
    byStatus[res.status] ? byStatus[res.status].add(1) : transportOther.add(1);
  } else {
    (byTransportError[res.error_code] || transportOther).add(1);
  }
}

export function handleSummary(data) {
  const path = env('SUMMARY_PATH', '');
  return path ? { [path]: JSON.stringify(data) } : { stdout: JSON.stringify(data) };
}
