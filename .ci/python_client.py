"""A Python client generated from the proto (grpcio-tools) calls every RPC of a running
`alam serve` and checks one answer of each against the engine's (`alam extract` on the same
text), the rich status of each error (reason and field path, read with grpcio-status), a batch
with one text over the limit, and a gzip-compressed call.

Usage: python_client.py ADDR ALAM_BINARY MAX_TEXT_BYTES  (the stubs on PYTHONPATH)
"""

import json
import subprocess
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alam.v1 import extractor_pb2 as pb
from alam.v1 import extractor_pb2_grpc as rpc

addr, alam, max_text_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
TEXT = "استقبل الرئيس الصيني شي جين بينغ في بكين رئيس كازاخستان قاسم جومارت توكاييف."


def engine_mentions(text):
    """(start, end, entity id) of each mention `alam extract` finds, in code points."""
    out = subprocess.run([alam, "extract", "-"], input=text, capture_output=True, text=True,
                         check=True).stdout
    return [(m["start"], m["end"], m["entityId"]) for m in json.loads(out)["mentions"]]


def mentions(response):
    return [(m.start, m.end, m.entity_id) for m in response.mentions]


def details(error):
    """The reason and the field paths of a failed call's google.rpc details."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no rich status: {error}"
    reason, fields = None, []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields += [v.field for v in bad.field_violations]
    return reason, fields


def expect_error(call, code, reason, fields):
    try:
        call()
    except grpc.RpcError as error:
        assert error.code() == code, (error.code(), error.details())
        got = details(error)
        assert got == (reason, fields), got
        print(f"  {code.name} {reason} {fields}: {error.details()}")
        return
    raise AssertionError(f"expected {code.name}")


channel = grpc.insecure_channel(addr)
stub = rpc.EntityExtractorServiceStub(channel)
expected = engine_mentions(TEXT)
assert expected, "the engine found nothing"

print("Extract")
answer = stub.Extract(pb.ExtractRequest(text=TEXT, document_id="d1"))
assert mentions(answer) == expected, (mentions(answer), expected)
assert answer.document_id == "d1"
assert all(e.wikidata.startswith("Q") for e in answer.entities if e.id == "country:CN")

print("Extract, gzip both ways")
answer = stub.Extract(pb.ExtractRequest(text=TEXT), compression=grpc.Compression.Gzip)
assert mentions(answer) == expected

print("ExtractBatch, one text over the limit")
long_text = "ب" * max_text_bytes
batch = stub.ExtractBatch(pb.ExtractBatchRequest(requests=[
    pb.ExtractRequest(text=TEXT), pb.ExtractRequest(text=long_text), pb.ExtractRequest(text=TEXT)]))
assert [r.WhichOneof("result") for r in batch.results] == ["response", "error", "response"]
assert mentions(batch.results[0].response) == expected
assert mentions(batch.results[2].response) == expected
item = batch.results[1].error
assert item.code == grpc.StatusCode.INVALID_ARGUMENT.value[0], item
reasons, fields = [], []
for detail in item.details:
    if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
        info = error_details_pb2.ErrorInfo()
        detail.Unpack(info)
        reasons.append(info.reason)
    elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
        bad = error_details_pb2.BadRequest()
        detail.Unpack(bad)
        fields += [v.field for v in bad.field_violations]
assert (reasons, fields) == (["TEXT_TOO_LONG"], ["requests[1].text"]), (reasons, fields)
print(f"  item 1: {item.message}")

print("ExtractStream")
answers = list(stub.ExtractStream(iter([pb.ExtractRequest(text=TEXT)] * 3)))
assert [mentions(a) for a in answers] == [expected] * 3

print("GetEntity, ListEntities, GetInfo")
entity = stub.GetEntity(pb.GetEntityRequest(id="country:KZ"))
assert (entity.entity_type, entity.name_en) == ("country", "Kazakhstan"), entity
page = stub.ListEntities(pb.ListEntitiesRequest(entity_type="country", page_size=1000))
assert entity in page.entities
info = stub.GetInfo(pb.GetInfoRequest())
assert info.gazetteer_version == answer.gazetteer_version
counts = {t.entity_type: t.entity_count for t in info.types}
assert page.total_size == counts["country"], (page.total_size, counts)
assert info.load_time.seconds > 0

print("Errors: reason and field path")
expect_error(lambda: stub.Extract(pb.ExtractRequest(text=TEXT, entity_types=["planet"])),
             grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_ENTITY_TYPE", ["entity_types"])
expect_error(lambda: stub.Extract(pb.ExtractRequest(text=long_text)),
             grpc.StatusCode.INVALID_ARGUMENT, "TEXT_TOO_LONG", ["text"])
expect_error(lambda: stub.GetEntity(pb.GetEntityRequest(id="country:XX")),
             grpc.StatusCode.NOT_FOUND, "ENTITY_NOT_FOUND", [])
expect_error(lambda: stub.ListEntities(pb.ListEntitiesRequest(page_token="5")),
             grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", ["page_token"])
print("python client: every RPC answered as the engine answers")
