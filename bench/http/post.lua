-- wrk: every request is the same small event as a JSON POST.
wrk.method = "POST"
wrk.path = "/v1/events"
wrk.body = '{"event":"cart_updated","user":"u-1042","properties":{"total":1234.5,"items":3,"currency":"RUB"}}'
wrk.headers["Content-Type"] = "application/json"
