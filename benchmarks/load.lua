-- wrk script for benchmarks/load.py. Run with as many threads as connections (wrk -tN -cN):
-- each thread is then one connection and one member, with the member's own session cookie
-- and CSRF token, going round its plan (BENCH_PLAN_DIR/plan-<thread>.tsv, one request a
-- line: label, method, path, Cookie header, form body). Each response's label, status and
-- latency in microseconds go to the thread's own file (latency-<thread>.tsv), from which
-- load.py computes each page's percentiles: wrk's own histogram mixes every request.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local dir = os.getenv("BENCH_PLAN_DIR")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("number", threads)
end

local requests, labels, out, n, i, started, label = {}, {}, nil, 0, 0, 0, ""

function init(args)
  for line in io.lines(dir .. "/plan-" .. number .. ".tsv") do
    local lab, method, path, cookie, body =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {}
    if cookie ~= "" then
      headers["Cookie"] = cookie
    end
    if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else
      body = nil
    end
    n = n + 1
    requests[n] = wrk.format(method, path, headers, body)
    labels[n] = lab
  end
  out = io.open(dir .. "/latency-" .. number .. ".tsv", "w")
end

function request()
  i = i % n + 1
  label = labels[i]
  started = now_us()
  return requests[i]
end

function response(status, headers, body)
  out:write(label, "\t", status, "\t", math.floor(now_us() - started), "\n")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.timeout))
end
