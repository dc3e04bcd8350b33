-- wrk script: POST /api/v1/check with real 1 MP JPEGs, each request a distinct upload.
-- Bodies are multipart; a per-request counter after the JPEG's end marker changes
-- the SHA-256 (so the cache cannot answer) without changing the picture.
-- Set CACHED=1 to repeat the same bytes instead (the cached path).
local boundary = "----origincheckbench"
local images = {}
local counter = 0

function init(args)
  local folder = args[1]
  for i = 0, 63 do
    local f = io.open(string.format("%s/%02d.jpg", folder, i), "rb")
    if f then images[#images + 1] = f:read("*a"); f:close() end
  end
  -- Seed per thread and per run, so no two runs (or threads) send the same bytes.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
  counter = math.random(1, 1000000000)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
end

function request()
  counter = counter + 1
  local image = images[(counter % #images) + 1]
  local unique = os.getenv("CACHED") == "1" and "" or tostring(counter)
  local body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
    .. "Content-Type: image/jpeg\r\n\r\n" .. image .. unique .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format(nil, "/api/v1/check", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests %d, errors %d, throughput %.1f/s, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
