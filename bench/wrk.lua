-- wrk script of the benchmark: rotate through prepared requests, report JSON.
-- Usage: wrk -t T -c C -d D --latency -s bench/wrk.lua URL -- REQUEST_FILE T CSRF_TOKEN [OFFSET]
-- Each line of REQUEST_FILE: method, path, session key, "1" for htmx, form body (tab-separated).
-- Thread i sends lines OFFSET+i, OFFSET+i+T, ...: with enough lines no request is sent twice, and a run
-- given the count of requests already sent starts after them.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  local file, csrf = args[1], args[3]
  step = tonumber(args[2])
  requests = {}
  for line in io.lines(file) do
    local method, path, session, htmx, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if session ~= "" then
      headers["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf
      headers["X-CSRFToken"] = csrf
    end
    if htmx == "1" then
      headers["HX-Request"] = "true"
    end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  index = (tonumber(args[4]) or 0) + id
end

function request()
  local r = requests[((index - 1) % #requests) + 1]
  index = index + step
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, "errors_read": %d, '
      .. '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
