"""With `alam serve --max-connection-age 2s`, one grpcio channel calling Extract without pause
for 10 s is sent GOAWAY and reconnects several times, and no call fails: grpcio retries
transparently a call that the GOAWAY kept from reaching the server, as gRPC's retry design asks.

Usage: reconnect_client.py ADDR METRICS_ADDR  (the stubs on PYTHONPATH)
"""

import sys
import time
import urllib.request

import grpc

from alam.v1 import extractor_pb2 as pb
from alam.v1 import extractor_pb2_grpc as rpc

addr, metrics = sys.argv[1], sys.argv[2]


def accepted():
    text = urllib.request.urlopen(f"http://{metrics}/metrics").read().decode()
    return next(float(line.split()[1]) for line in text.splitlines()
                if line.startswith("alam_connections_accepted_total "))


before = accepted()
stub = rpc.EntityExtractorServiceStub(grpc.insecure_channel(addr))
request = pb.ExtractRequest(text="زار وانغ يي كازاخستان")
calls, failures = 0, []
end = time.monotonic() + 10
while time.monotonic() < end:
    calls += 1
    try:
        stub.Extract(request, timeout=5)
    except grpc.RpcError as error:
        failures.append(f"{error.code().name}: {error.details()}")
reconnections = accepted() - before - 1
print(f"{calls} calls in 10 s, {int(reconnections)} reconnections, {len(failures)} failed")
assert reconnections >= 3, "the connection was not renewed"
assert not failures, failures[:5]
