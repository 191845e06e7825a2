-- wrk script of the peer runs: one event per request, each with a unique id.
-- KIND=jido posts a structured CloudEvent; KIND=svix a Svix message (TOKEN: its bearer token).
local n = 0
local kind, token = os.getenv("KIND") or "jido", os.getenv("TOKEN") or ""
-- RUN tells apart wrk processes started in the same second (several daemons at once).
local run = (os.getenv("RUN") or "") .. tostring(os.time())
local data = '{"order_id":"ord_%012d","customer":{"id":"cus_8f14e45fceea167a","email":"ada@example.com","tier":"gold"},"items":[{"sku":"SKU-123456","qty":2,"price_cents":1999},{"sku":"SKU-654321","qty":1,"price_cents":4999}],"currency":"EUR","total_cents":8997,"note":"peer run payload of a realistic size for an order event"}'

request = function()
    n = n + 1
    local body, headers
    if kind == "jido" then
        body = '{"specversion":"1.0","id":"wrk-' .. run .. '-' .. n .. '","type":"bench.created","source":"/peer","datacontenttype":"application/json","data":' .. string.format(data, n) .. '}'
        headers = { ["content-type"] = "application/cloudevents+json" }
    else
        body = '{"eventType":"bench.created","payload":' .. string.format(data, n) .. '}'
        headers = { ["content-type"] = "application/json", ["authorization"] = "Bearer " .. token }
    end
    return wrk.format("POST", nil, headers, body)
end
