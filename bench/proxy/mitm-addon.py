# The mitmproxy equivalent of the bench route: one allowed host, paths
# under /v1/, the agent's Authorization replaced by the route's token.
from mitmproxy import http

ALLOWED_HOSTS = {"localhost"}
TOKEN = "bench-secret-token-0123456789"


def request(flow: http.HTTPFlow) -> None:
    if flow.request.pretty_host not in ALLOWED_HOSTS or not flow.request.path.startswith("/v1/"):
        flow.response = http.Response.make(403, b"blocked\n", {"Content-Type": "text/plain"})
        return
    flow.request.headers.pop("Proxy-Authorization", None)
    flow.request.headers["Authorization"] = "Bearer " + TOKEN
